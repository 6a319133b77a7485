/**
 * (c) PostgreSQL stopped (immediate shutdown, like a crash) while callers keep keying a code at
 * both web processes: every answer is a 200 with TwiML — the apology while the database is away,
 * never a 5xx, never JSON, never a hang past the carrier's 15 s timeout. Once PostgreSQL is back,
 * new calls activate normally and every activation reaches everyone once.
 */
import pg from 'pg';
import * as ivr from '../../ivr/activation-line.js';
import { addCrowd, addLine, addSmsWorkflow, createAccount, phoneOf, type ScenarioResult } from '../fixtures.js';
import { apiClient, postWebhook, sleep } from '../cluster.js';
import { settle, waitUntil, type ScenarioContext } from './context.js';

const PEOPLE = 5;
type Heard = { phase: 'before' | 'outage' | 'after'; step: 'answer' | 'code'; status: number; kind: string; ms: number };

export const postgresDown = async (ctx: ScenarioContext, o: Parameters<typeof createAccount>[0]): Promise<ScenarioResult> => {
  const t0 = Date.now();
  const api = apiClient(ctx.cluster.webUrls, createAccount(o, 'chaos-c'));
  const line = await addLine(api, ctx.carrier, '+14155550300');
  const group = await addCrowd(api, 'Responders', PEOPLE, 5_000_000);
  await addSmsWorkflow(api, { name: 'Gate alarm', groupId: group, message: 'Drill C: gate alarm.', lineId: line.id, code: 'RESQ' });
  const activated = ivr.activated({ workflowName: 'Gate alarm', recipients: PEOPLE });
  const classify = (r: { status: number; type: string; body: string }) =>
    r.status !== 200 ? `http-${r.status}` : !r.type.startsWith('text/xml') ? 'not-twiml'
      : r.body === ivr.apology() ? 'apology' : r.body === activated ? 'activated' : r.body.includes('<Gather') ? 'greeting' : 'other-twiml';

  let phase: Heard['phase'] = 'before';
  let stop = false;
  let seq = 0;
  const heard: Heard[] = [];
  const caller = async (c: number) => {
    while (!stop) {
      const n = ++seq;
      const web = ctx.cluster.webUrls[n % ctx.cluster.webUrls.length]!;
      const params = { CallSid: `CA${n.toString(16).padStart(32, '0')}`, AccountSid: ctx.carrier.accountSid, From: `+1312555${String(1000 + c).padStart(4, '0')}`, To: line.phone, CallStatus: 'in-progress', Direction: 'inbound' };
      const p = phase;
      const a = await postWebhook(web, '/webhooks/twilio/voice', params, ctx.carrier.authToken);
      heard.push({ phase: p, step: 'answer', status: a.status, kind: classify(a), ms: a.ms });
      if (classify(a) !== 'greeting') { await sleep(200); continue; }
      const k = await postWebhook(ctx.cluster.webUrls[(n + 1) % ctx.cluster.webUrls.length]!, '/webhooks/twilio/voice/code?attempt=1', { ...params, Digits: '7377' }, ctx.carrier.authToken);
      heard.push({ phase: p, step: 'code', status: k.status, kind: classify(k), ms: k.ms });
      await sleep(300);
    }
  };
  const callers = Array.from({ length: 4 }, (_, c) => caller(c));
  await sleep(4000);
  phase = 'outage';
  ctx.stack.stopPostgres('immediate');
  ctx.log('PostgreSQL stopped (immediate)');
  await sleep(10_000);
  ctx.stack.startPostgres();
  ctx.log('PostgreSQL started again');
  const ready = await waitUntil(ctx, async () => (await Promise.all(ctx.cluster.webUrls.map((u) => fetch(`${u}/readyz`).then((r) => r.ok)))).every(Boolean), 250);
  phase = 'after';
  await sleep(6000);
  stop = true;
  await Promise.all(callers);

  const db = new pg.Client({ connectionString: o.databaseUrl });
  await db.connect();
  const activations = Number((await db.query('SELECT count(*) AS n FROM activations')).rows[0].n);
  await db.end();
  await waitUntil(ctx, async () => (await ctx.carrier.count()).messages >= activations * PEOPLE, 500);
  await settle(ctx, 8000);
  const final = await ctx.carrier.count(true);

  const by = (f: (h: Heard) => boolean) => heard.filter(f).length;
  const kinds: Record<string, Record<string, number>> = {};
  for (const h of heard) (kinds[h.phase] ??= {})[`${h.step}:${h.kind}`] = ((kinds[h.phase] ??= {})[`${h.step}:${h.kind}`] ?? 0) + 1;
  const heardActivated = by((h) => h.kind === 'activated');
  const bad = heard.filter((h) => h.status !== 200 || h.kind === 'not-twiml' || h.kind === 'other-twiml');
  const afterCodes = heard.filter((h) => h.phase === 'after' && h.step === 'code');
  const perPerson = Array.from({ length: PEOPLE }, (_, i) => final.perNumber?.[phoneOf(5_000_000, i)] ?? 0);
  const lost = Math.max(0, heardActivated - activations) + perPerson.reduce((s, n) => s + Math.max(0, activations - n), 0);
  const duplicated = perPerson.reduce((s, n) => s + Math.max(0, n - activations), 0);
  const errors = [...ctx.cluster.crashed()];
  if (bad.length) errors.push(`${bad.length} answers were not a 200 with TwiML: ${[...new Set(bad.map((h) => `${h.phase}/${h.step}/${h.kind}`))].join(', ')}`);
  if (!ready) errors.push('web processes never became ready again');
  if (afterCodes.length === 0 || afterCodes.some((h) => h.kind !== 'activated')) errors.push(`after recovery ${afterCodes.filter((h) => h.kind !== 'activated').length}/${afterCodes.length} calls did not activate`);
  if (by((h) => h.phase === 'outage' && h.kind === 'apology') === 0) errors.push('no caller heard the apology during the outage (the outage was not exercised)');
  return {
    scenario: 'c', title: 'PostgreSQL stopped during inbound calls', command: 'npm run chaos -- c',
    lost, duplicated, errors: errors.length, seconds: Math.round((Date.now() - t0) / 1000),
    details: { answers: kinds, activations, heardActivated, textsPerPerson: perPerson, slowestAnswerMs: Math.max(...heard.map((h) => h.ms)) },
    notes: errors,
  };
};
