/**
 * (b) Redis restarted without persistence in the middle of a fan-out: every queued job is gone.
 * Nothing is lost (the outbox and the delivery sweeper re-drive from PostgreSQL) and nothing is
 * sent twice (claims). Three more activations are made through the API while Redis is down.
 */
import { apiClient, expectOk } from '../cluster.js';
import { addCrowd, addLine, addSmsWorkflow, createAccount, phoneOf, tally, type ScenarioResult } from '../fixtures.js';
import { handedOver, settle, waitUntil, type ScenarioContext } from './context.js';

const SMALL = 5;

export const redisRestart = async (ctx: ScenarioContext, o: Parameters<typeof createAccount>[0]): Promise<ScenarioResult> => {
  const t0 = Date.now();
  const N = ctx.recipients;
  const api = apiClient(ctx.cluster.webUrls, createAccount(o, 'chaos-b'));
  await addLine(api, ctx.carrier, '+14155550200');
  const group = await addCrowd(api, 'Everyone', N, 4_000_000);
  const wf = await addSmsWorkflow(api, { name: 'Evacuation', groupId: group, message: 'Drill B: evacuate the building now.' });
  const small: string[] = [];
  for (let k = 0; k < 3; k++) {
    const g = await addCrowd(api, `Team ${k}`, SMALL, 4_900_000 + k * 100);
    small.push(await addSmsWorkflow(api, { name: `Team ${k} alert`, groupId: g, message: `Drill B: team ${k} to the muster point.` }));
  }
  ctx.log(`fan-out of ${N} set up in ${Math.round((Date.now() - t0) / 1000)} s; activating`);

  const act = expectOk('activate', await api('POST', `/v1/workflows/${wf}/activations`, {})).body;
  await waitUntil(ctx, async () => (await ctx.carrier.count()).messages >= N * 0.2, 50);
  const atRestart = (await ctx.carrier.count()).messages;
  ctx.stack.stopRedis();
  ctx.log(`Redis stopped (no persistence) at ${atRestart}/${N} texts sent; 3 activations through the API while it is down`);
  // While Redis is down: activations are committed with their outbox row; the dispatch waits or fails.
  const during = small.map((id) => api('POST', `/v1/workflows/${id}/activations`, {}).then((r) => r, (err: unknown) => ({ status: 0, body: String(err) })));
  await new Promise((r) => setTimeout(r, 3000));
  ctx.stack.startRedis();
  ctx.log('Redis started again, empty');
  const answered = await Promise.all(during);

  const expected = new Map<string, number>(Array.from({ length: N }, (_, i) => [phoneOf(4_000_000, i), 1] as const));
  for (let k = 0; k < 3; k++) for (let i = 0; i < SMALL; i++) expected.set(phoneOf(4_900_000 + k * 100, i), 1);
  const done = await waitUntil(ctx, async () => (await ctx.carrier.count()).recipients >= expected.size, 500);
  await settle(ctx);
  const final = await ctx.carrier.count(true);
  const t = tally(expected, final.perNumber ?? {});
  const detail = (await api('GET', `/v1/activations/${act.id}`)).body;
  const errors = [...ctx.cluster.crashed()];
  if (!done) errors.push('deadline passed before every recipient was reached');
  if (!handedOver(detail.status)) errors.push(`fan-out activation status ${detail.status}`);
  const refused = answered.filter((r) => r.status >= 500 || r.status === 0);
  if (refused.length) errors.push(`${refused.length} API activations during the outage answered ${refused.map((r) => r.status).join(', ')}`);
  if (t.unexpected) errors.push(`${t.unexpected} texts to numbers outside the fan-out`);
  return {
    scenario: 'b', title: 'Redis restarted without persistence mid fan-out', command: 'npm run chaos -- b',
    lost: t.lost, duplicated: t.duplicated, errors: errors.length, seconds: Math.round((Date.now() - t0) / 1000),
    details: {
      recipients: N, extraActivationsDuringOutage: 3, sentAtRestart: atRestart, apiDuringOutage: answered.map((r) => r.status),
      carrier: { messages: final.messages, recipients: final.recipients, maxPerRecipient: final.maxPerRecipient }, activation: { status: detail.status, counts: detail.counts },
    },
    notes: errors,
  };
};
