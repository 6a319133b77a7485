/**
 * Prometheus metrics (docs/METRICS.md): scraped before and after a real activation through the
 * carrier emulator, the figures move by exactly what happened; scrapes need the bearer token;
 * `switchboard work` serves its own /metrics on METRICS_PORT; the token never reaches a log line;
 * the shipped alert rules parse and name the documented alerts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { addCodeWorkflow, addContacts, addGroup, addTwilioLine, uniqueNumber } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { eventually } from '../helpers/eventually.js';
import { runCli } from '../helpers/run-cli.js';
import { createTestAccount } from '../helpers/runtime.js';
import { createTestDatabase } from '../helpers/test-db.js';
import { scheduledWorkflows } from './schedule-helpers.js';

const root = path.resolve(import.meta.dirname, '../..');

type Sample = { name: string; labels: Record<string, string>; value: number };

/** Prometheus text format -> samples (comments skipped). */
const parseExposition = (text: string): Sample[] =>
  text.split('\n').filter((l) => l && !l.startsWith('#')).map((line) => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    return { name: m[1]!, labels, value: Number(m[3]) };
  });

/** Sum of the samples of `name` whose labels include `labels` (0 when none). */
const sum = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });

describe('metrics on a web+worker process (switchboard all)', () => {
  const token = randomBytes(24).toString('hex');
  let env: RuntimeWithCarrier;

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ METRICS: 'true', METRICS_TOKEN: token, SWEEP_INTERVAL_MS: '300' }, { web: true, worker: true });
  });
  afterAll(async () => env?.close());

  const scrape = async (): Promise<Sample[]> => {
    const res = await env.t.http().get('/metrics').set('authorization', `Bearer ${token}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(res.text);
  };

  it('a texted code (sent twice by the carrier): +1 sms activation, +3 sms delivered, one webhook observation per carrier request, backlogs back to 0', async () => {
    const acct = await createTestAccount(env.t);
    const line = await addTwilioLine(env.t, acct.account.id, env.creds);
    const people = await addContacts(env.t, acct.account.id, [
      { name: 'Ann', phone: uniqueNumber() }, { name: 'Ben', phone: uniqueNumber() }, { name: 'Cat', phone: uniqueNumber() },
    ]);
    const group = await addGroup(env.t, acct.account.id, 'Gate team', people);
    await addCodeWorkflow(env.t, acct.account.id, { name: 'Gate', code: 'RESQ', lineId: line.id, groupIds: [group] });
    env.carrier.reset();
    const before = await scrape();

    const from = uniqueNumber();
    const inbound = await env.carrier.sendInboundSms({ from, to: line.phone, body: 'resq Help at gate 4' });
    expect(inbound.status).toBe(200);
    // The carrier delivers the same text twice (same MessageSid): one activation, two webhook answers.
    const again = await env.carrier.sendInboundSms({ from, to: line.phone, body: 'resq Help at gate 4', messageSid: inbound.messageSid });
    expect(again.status).toBe(200);
    const db = env.t.rt.infra.db;
    await eventually(async () => {
      const r = await db.query(`SELECT d.status FROM deliveries d JOIN activations a ON a.id = d.activation_id WHERE a.account_id = $1`, [acct.account.id]);
      return r.rows.length === 3 && r.rows.every((x) => x.status === 'delivered');
    }, 'three texts delivered');
    await env.carrier.settled();
    const byRoute = new Map<string, number>([['/webhooks/twilio/sms', 2]]);
    for (const c of env.carrier.callbacks) {
      const p = new URL(c.url).pathname;
      byRoute.set(p, (byRoute.get(p) ?? 0) + 1);
    }
    expect(byRoute.get('/webhooks/twilio/status')).toBeGreaterThanOrEqual(3); // at least each "delivered"

    const delta = (after: Sample[], name: string, labels: Record<string, string> = {}) => sum(after, name, labels) - sum(before, name, labels);
    // Counters move after the write that caused them: wait until the last one landed, then compare exactly.
    const after = await eventually(async () => {
      const s = await scrape();
      const open = sum(s, 'switchboard_deliveries_open') + sum(s, 'switchboard_outbox_backlog', { topic: 'activation' });
      const seen = [...byRoute].every(([route, n]) => delta(s, 'switchboard_webhook_request_duration_seconds_count', { route }) >= n);
      return seen && open === 0 && delta(s, 'switchboard_deliveries_total', { status: 'delivered' }) >= 3 ? s : null;
    }, 'metrics caught up');

    expect(delta(after, 'switchboard_activations_total', { source: 'sms' })).toBe(1);
    expect(delta(after, 'switchboard_activations_total')).toBe(1);
    expect(delta(after, 'switchboard_deliveries_total', { channel: 'sms', status: 'delivered' })).toBe(3);
    for (const status of ['failed', 'skipped', 'answered', 'no-answer']) expect(delta(after, 'switchboard_deliveries_total', { status })).toBe(0);
    expect(delta(after, 'switchboard_carrier_errors_total')).toBe(0);
    expect(delta(after, 'switchboard_carrier_rate_limit_pauses_total')).toBe(0);
    for (const [route, n] of byRoute) {
      expect(delta(after, 'switchboard_webhook_request_duration_seconds_count', { route }), route).toBe(n);
      expect(delta(after, 'switchboard_webhook_request_duration_seconds_count', { route, status_class: '2xx' }), route).toBe(n);
    }
    // Only route patterns are labels: no phone number, message id or token anywhere in the output.
    const text = (await env.t.http().get('/metrics').set('authorization', `Bearer ${token}`)).text;
    for (const secret of [line.phone, token, env.creds.authToken, ...env.carrier.messages.map((m) => m.sid)]) expect(text).not.toContain(secret);
    // Scrape-time gauges: every queue is there, nothing waiting once the work is done.
    for (const q of ['activations', 'deliveries', 'engine-timers', 'events', 'rule-actions']) {
      expect(after.some((s) => s.name === 'switchboard_queue_jobs' && s.labels.queue === q && s.labels.state === 'wait'), q).toBe(true);
    }
    expect(sum(after, 'switchboard_queue_jobs', { state: 'wait' })).toBe(0);
    expect(sum(after, 'switchboard_deliveries_in_doubt')).toBe(0);
    expect(sum(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('a carrier refusal counts under its code, a 429 counts a pause', async () => {
    const acct = await createTestAccount(env.t);
    const line = await addTwilioLine(env.t, acct.account.id, env.creds);
    const [invalid, slow] = [uniqueNumber(), uniqueNumber()];
    env.carrier.setBehaviour(invalid, { error: { status: 400, code: 21211 } });
    env.carrier.setBehaviour(slow, { error: { status: 429, code: 20429 }, errorTimes: 1 });
    const people = await addContacts(env.t, acct.account.id, [{ name: 'Ivy', phone: invalid }, { name: 'Sam', phone: slow }]);
    const group = await addGroup(env.t, acct.account.id, 'Errors', people);
    await addCodeWorkflow(env.t, acct.account.id, { name: 'Errs', code: 'ERRS', lineId: line.id, groupIds: [group] });
    const before = await scrape();

    expect((await env.carrier.sendInboundSms({ from: uniqueNumber(), to: line.phone, body: 'errs' })).status).toBe(200);
    const db = env.t.rt.infra.db;
    await eventually(async () => {
      const r = await db.query(`SELECT d.status FROM deliveries d JOIN activations a ON a.id = d.activation_id WHERE a.account_id = $1 ORDER BY d.address`, [acct.account.id]);
      return r.rows.length === 2 && r.rows.some((x) => x.status === 'failed') && r.rows.some((x) => x.status === 'delivered');
    }, 'one failed, one delivered');
    const after = await eventually(async () => {
      const s = await scrape();
      return sum(s, 'switchboard_deliveries_total', { status: 'delivered' }) - sum(before, 'switchboard_deliveries_total', { status: 'delivered' }) >= 1 ? s : null;
    }, 'delivered counted');
    const delta = (name: string, labels: Record<string, string> = {}) => sum(after, name, labels) - sum(before, name, labels);
    expect(delta('switchboard_carrier_errors_total', { channel: 'sms', code: '21211', stage: 'send' })).toBe(1);
    expect(delta('switchboard_carrier_errors_total', { channel: 'sms', code: '20429', stage: 'send' })).toBe(1);
    expect(delta('switchboard_carrier_errors_total')).toBe(2);
    expect(delta('switchboard_carrier_rate_limit_pauses_total')).toBe(1);
    expect(delta('switchboard_deliveries_total', { channel: 'sms', status: 'failed' })).toBe(1);
  });

  it('the outbox backlog gauge reads PostgreSQL at scrape time', async () => {
    const db = env.t.rt.infra.db;
    // A topic no relay handles, so nothing completes it while we look.
    await db.query(`INSERT INTO outbox (topic, ref_id, created_at) VALUES ('metrics-test', 'x', now() - interval '90 seconds')`);
    try {
      const s = await scrape();
      expect(sum(s, 'switchboard_outbox_backlog', { topic: 'metrics-test', state: 'undispatched' })).toBe(1);
      expect(sum(s, 'switchboard_outbox_backlog', { topic: 'metrics-test', state: 'incomplete' })).toBe(1);
      expect(sum(s, 'switchboard_outbox_oldest_age_seconds', { topic: 'metrics-test' })).toBeGreaterThanOrEqual(90);
    } finally {
      await db.query(`DELETE FROM outbox WHERE topic = 'metrics-test'`);
    }
    expect(sum(await scrape(), 'switchboard_outbox_backlog', { topic: 'metrics-test' })).toBe(0);
  });

  it('a schedule occurrence fired late: +1 schedule activation, its lag in the histogram', async () => {
    const acct = await createTestAccount(env.t);
    const db = env.t.rt.infra.db;
    const id = await scheduledWorkflows(db, env.t.rt.services.scheduleHook).create(acct.account.id, { type: 'weekly', days: ['mon'], time: '09:00' });
    await db.query(`UPDATE workflow_versions SET definition = jsonb_set(definition, '{actions}', '[]') WHERE workflow_id = $1`, [id]);
    const before = await scrape();
    // Due 5 s ago (within the grace window): the loop fires it at once, about 5 s late.
    await db.query(`UPDATE workflow_schedules SET next_run_at = date_trunc('second', now()) - interval '5 seconds' WHERE workflow_id = $1`, [id]);
    await eventually(async () => (await db.query(`SELECT 1 FROM activations WHERE workflow_id = $1`, [id])).rowCount === 1, 'occurrence fired');
    const after = await eventually(async () => {
      const s = await scrape();
      return sum(s, 'switchboard_schedule_fire_lag_seconds_count') > sum(before, 'switchboard_schedule_fire_lag_seconds_count') ? s : null;
    }, 'lag observed');
    const delta = (name: string, labels: Record<string, string> = {}) => sum(after, name, labels) - sum(before, name, labels);
    expect(delta('switchboard_schedule_fire_lag_seconds_count')).toBe(1);
    expect(delta('switchboard_schedule_fire_lag_seconds_sum')).toBeGreaterThanOrEqual(5);
    expect(delta('switchboard_schedule_fire_lag_seconds_sum')).toBeLessThan(30);
    expect(delta('switchboard_schedule_fire_lag_seconds_bucket', { le: '2' })).toBe(0);
    expect(delta('switchboard_schedule_fire_lag_seconds_bucket', { le: '30' })).toBe(1);
    expect(delta('switchboard_activations_total', { source: 'schedule' })).toBe(1);
    expect(delta('switchboard_activations_total')).toBe(1);
  });

  it('no token, a wrong token or another scheme: 401, and /metrics is not in the OpenAPI document', async () => {
    const none = await env.t.http().get('/metrics').expect(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(none.body).toEqual({ error: 'unauthorized', message: 'a valid metrics token is required' });
    await env.t.http().get('/metrics').set('authorization', `Bearer ${token}x`).expect(401);
    await env.t.http().get('/metrics').set('authorization', `Basic ${Buffer.from(`u:${token}`).toString('base64')}`).expect(401);
    await env.t.http().get('/metrics').set('authorization', 'Bearer ').expect(401);
    const doc = await env.t.http().get('/docs/json').expect(200);
    expect(Object.keys(doc.body.paths)).not.toContain('/metrics');
  });
});

describe('metrics of separate processes (real CLI)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());

  const baseEnv = () => ({
    DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL!, SECRET_KEY: 's'.repeat(40),
    REDIS_PREFIX: `{sbt-${randomBytes(4).toString('hex')}}`, HOST: '127.0.0.1',
  });

  /** Starts the CLI, waits for `ready` in its output, runs `fn`, then stops it with SIGTERM. */
  const withProcess = async (args: string[], env: Record<string, string>, ready: RegExp, fn: () => Promise<void>) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      await eventually(async () => ready.test(out), `${args[0]} ready (output so far: ${out.slice(-500)})`, 25_000);
      await fn();
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    return out;
  };

  it('work serves its own /metrics on METRICS_PORT; serve on PORT; tokens never reach the logs', async () => {
    const token = randomBytes(24).toString('hex');
    const wrong = randomBytes(24).toString('hex');
    const metricsPort = await freePort();
    const workLog = await withProcess(['work'], { ...baseEnv(), METRICS: 'true', METRICS_TOKEN: token, METRICS_PORT: String(metricsPort), LOG_LEVEL: 'trace' },
      /metrics listening/, async () => {
        const url = `http://127.0.0.1:${metricsPort}/metrics`;
        const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        expect(ok.status).toBe(200);
        const text = await ok.text();
        expect(text).toContain('switchboard_activations_total{source="schedule"} 0');
        // Every activation source has its own series (one list: activationSources), none counted as "other".
        expect(text).toContain('switchboard_activations_total{source="sender_report"} 0');
        expect(text).toContain('switchboard_queue_jobs{queue="deliveries",state="wait"} 0');
        expect((await fetch(url)).status).toBe(401);
        expect((await fetch(url, { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
      });
    const port = await freePort();
    const serveLog = await withProcess(['serve'], { ...baseEnv(), METRICS: 'true', METRICS_TOKEN: token, PORT: String(port), LOG_LEVEL: 'trace' },
      /switchboard listening/, async () => {
        const url = `http://127.0.0.1:${port}/metrics`;
        expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
        expect((await fetch(url, { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401);
        expect((await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      });
    expect(workLog).toMatch(/"msg":"switchboard metrics listening"/);
    expect(serveLog).toMatch(/"url":"\/healthz"/); // trace level: requests are logged...
    for (const log of [workLog, serveLog]) {
      expect(log).not.toContain(token); // ...but never the token, right or wrong
      expect(log).not.toContain(wrong);
    }
  }, 90_000);

  it('METRICS=true without METRICS_TOKEN refuses to start, naming the key', async () => {
    const res = await runCli(['serve'], { ...baseEnv(), METRICS: 'true' });
    expect(res.code).toBe(78);
    expect(res.stderr).toContain('METRICS_TOKEN: is required when METRICS=true');
    const short = await runCli(['work'], { ...baseEnv(), METRICS: 'true', METRICS_TOKEN: 'short' });
    expect(short.code).toBe(78);
    expect(short.stderr).toContain('METRICS_TOKEN: must be at least 24 characters');
    expect(short.stderr).not.toContain('short');
  });
});

describe('shipped Prometheus alert rules and Grafana dashboard', () => {
  it('alerts.yml parses and has the documented alerts, each with an expression, a duration and a summary', () => {
    const doc = parseYaml(readFileSync(path.join(root, 'docs/prometheus/alerts.yml'), 'utf8')) as { groups: Array<{ name: string; rules: Array<Record<string, any>> }> };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'SwitchboardCarrierErrorRate', 'SwitchboardDeliveriesStuck', 'SwitchboardMetricsDown', 'SwitchboardOutboxBacklogGrowing',
      'SwitchboardQueueJobWaiting', 'SwitchboardScheduleLag',
    ]);
    for (const r of rules) {
      expect(typeof r.expr, r.alert).toBe('string');
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(['warning', 'critical'], r.alert).toContain(r.labels?.severity);
    }
  });

  it('the dashboard is valid JSON whose queries only use metrics Switchboard exports', () => {
    const dash = JSON.parse(readFileSync(path.join(root, 'docs/grafana/switchboard-dashboard.json'), 'utf8'));
    const exprs: string[] = dash.panels.flatMap((p: { targets?: Array<{ expr: string }> }) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    const names = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(switchboard_[a-z_]+|process_[a-z_]+|nodejs_[a-z_]+)/g)].map((m) => m[1]!)));
    const known = /^(switchboard_(activations_total|deliveries_total|carrier_errors_total|carrier_rate_limit_pauses_total|webhook_request_duration_seconds_(bucket|count|sum)|schedule_fire_lag_seconds_(bucket|count|sum)|queue_jobs|queue_oldest_waiting_job_age_seconds|outbox_backlog|outbox_oldest_age_seconds|deliveries_open|deliveries_open_oldest_age_seconds|deliveries_in_doubt)|process_[a-z_]+|nodejs_[a-z_]+)$/;
    for (const n of names) expect(n, n).toMatch(known);
  });
});
