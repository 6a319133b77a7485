/**
 * (d) Every carrier webhook delivered twice, at once, to both web processes, and out of order:
 * 10 calls (the code step before the call's first webhook, each twice), 10 texted codes (twice at
 * once, then a late retry), and every status callback of the resulting texts newest first, twice.
 * One activation per call or text, one text per person, every delivery ends `delivered`.
 */
import pg from 'pg';
import * as ivr from '../../ivr/activation-line.js';
import { apiClient, postWebhook, sleep } from '../cluster.js';
import { addCrowd, addLine, addSmsWorkflow, createAccount, phoneOf, tally, type ScenarioResult } from '../fixtures.js';
import { settle, waitUntil, type ScenarioContext } from './context.js';

const PEOPLE = 10;
const CALLS = 10;
const TEXTS = 10;

export const duplicateWebhooks = async (ctx: ScenarioContext, o: Parameters<typeof createAccount>[0]): Promise<ScenarioResult> => {
  const t0 = Date.now();
  const api = apiClient(ctx.cluster.webUrls, createAccount(o, 'chaos-d'));
  const line = await addLine(api, ctx.carrier, '+14155550400');
  const expected = new Map<string, number>();
  const codes: Array<{ code: string; name: string }> = [];
  for (let k = 0; k < CALLS + TEXTS; k++) {
    const base = 6_000_000 + k * 100;
    const group = await addCrowd(api, `Team ${k}`, PEOPLE, base);
    for (let i = 0; i < PEOPLE; i++) expected.set(phoneOf(base, i), 1);
    const code = k < CALLS ? `C${k}00` : `S${k - CALLS}00`;
    const name = `Team ${k} alert`;
    await addSmsWorkflow(api, { name, groupId: group, message: `Drill D: team ${k}.`, lineId: line.id, code });
    codes.push({ code, name });
  }
  const [w1, w2] = ctx.cluster.webUrls as [string, string];
  const twice = (path: string, params: Record<string, string>) =>
    Promise.all([postWebhook(w1, path, params, ctx.carrier.authToken), postWebhook(w2, path, params, ctx.carrier.authToken)]);
  const errors: string[] = [];
  const answers: Record<string, number> = {};
  const note = (what: string, rs: Array<{ status: number; body: string }>, ok: (r: { status: number; body: string }) => boolean) => {
    for (const r of rs) {
      answers[`${what}:${r.status}`] = (answers[`${what}:${r.status}`] ?? 0) + 1;
      if (!ok(r)) errors.push(`${what}: HTTP ${r.status} ${r.body.slice(0, 120)}`);
    }
  };

  ctx.log('10 calls: code step first (twice, both processes), then the first webhook (twice)');
  await Promise.all(codes.slice(0, CALLS).map(async ({ code, name }, k) => {
    const params = { CallSid: `CA${(0xd000 + k).toString(16).padStart(32, '0')}`, AccountSid: ctx.carrier.accountSid, From: `+1312555${String(2000 + k)}`, To: line.phone, CallStatus: 'in-progress', Direction: 'inbound' };
    const digits = code.replace('C', '2');
    const heard = ivr.activated({ workflowName: name, recipients: PEOPLE });
    note('voice/code', await twice('/webhooks/twilio/voice/code?attempt=1', { ...params, Digits: digits }), (r) => r.status === 200 && r.body === heard);
    note('voice', await twice('/webhooks/twilio/voice', { ...params, CallStatus: 'ringing' }), (r) => r.status === 200 && r.body.startsWith('<?xml'));
  }));
  ctx.log('10 texted codes: twice at once, then a late carrier retry');
  await Promise.all(codes.slice(CALLS).map(async ({ code }, k) => {
    const params = { MessageSid: `SM${(0xd100 + k).toString(16).padStart(32, '0')}`, AccountSid: ctx.carrier.accountSid, From: `+1312555${String(3000 + k)}`, To: line.phone, Body: `${code} drill`, NumMedia: '0' };
    const first = await twice('/webhooks/twilio/sms', params);
    note('sms', first, (r) => r.status === 200 && r.body.includes('activated'));
    await sleep(500);
    const retry = await postWebhook(k % 2 ? w1 : w2, '/webhooks/twilio/sms', params, ctx.carrier.authToken);
    note('sms retry', [retry], (r) => r.status === 200 && r.body === first[0]!.body);
  }));

  await waitUntil(ctx, async () => (await ctx.carrier.count()).recipients >= expected.size, 500);
  ctx.log('status callbacks: delivered, sent, queued (newest first), each twice at once');
  const sent = await ctx.carrier.messages();
  for (let i = 0; i < sent.length; i += 20) {
    await Promise.all(sent.slice(i, i + 20).map(async (m) => {
      for (const [seq, status] of [[2, 'delivered'], [1, 'sent'], [0, 'queued']] as const) {
        const params = { MessageSid: m.sid, SmsSid: m.sid, AccountSid: ctx.carrier.accountSid, From: m.from, To: m.to, MessageStatus: status, SmsStatus: status, SequenceNumber: String(seq), ApiVersion: '2010-04-01' };
        note('status', await twice('/webhooks/twilio/status', params), (r) => r.status === 200 || r.status === 204);
      }
    }));
  }
  await settle(ctx, 8000);
  const final = await ctx.carrier.count(true);
  const t = tally(expected, final.perNumber ?? {});
  const db = new pg.Client({ connectionString: o.databaseUrl });
  await db.connect();
  const activations = Number((await db.query('SELECT count(*) AS n FROM activations')).rows[0].n);
  const statuses = Object.fromEntries((await db.query(`SELECT status, count(*)::int AS n FROM deliveries GROUP BY status`)).rows.map((r) => [r.status, r.n]));
  await db.end();
  if (activations !== CALLS + TEXTS) errors.push(`${activations} activations for ${CALLS + TEXTS} calls and texts`);
  if ((statuses.delivered ?? 0) !== expected.size) errors.push(`deliveries by status after the callbacks: ${JSON.stringify(statuses)}`);
  errors.push(...ctx.cluster.crashed());
  if (t.unexpected) errors.push(`${t.unexpected} texts to numbers outside the teams`);
  const unique = [...new Set(errors)];
  return {
    scenario: 'd', title: 'every webhook twice and out of order', command: 'npm run chaos -- d',
    lost: t.lost, duplicated: t.duplicated + Math.max(0, activations - CALLS - TEXTS), errors: unique.length, seconds: Math.round((Date.now() - t0) / 1000),
    details: { calls: CALLS, texts: TEXTS, people: expected.size, activations, answers, deliveries: statuses, carrier: { messages: final.messages, recipients: final.recipients, maxPerRecipient: final.maxPerRecipient } },
    notes: unique.slice(0, 20),
  };
};
