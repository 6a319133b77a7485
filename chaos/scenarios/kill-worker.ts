/**
 * (a) kill -9 of a worker process in the middle of a 10,000-recipient fan-out, then a restart:
 * every recipient gets exactly one text (counted at the carrier emulator).
 */
import { apiClient, expectOk, sleep } from '../cluster.js';
import { addCrowd, addLine, addSmsWorkflow, createAccount, phoneOf, tally, type ScenarioResult } from '../fixtures.js';
import { handedOver, settle, waitUntil, type ScenarioContext } from './context.js';

export const killWorker = async (ctx: ScenarioContext, o: Parameters<typeof createAccount>[0]): Promise<ScenarioResult> => {
  const t0 = Date.now();
  const N = ctx.recipients;
  const api = apiClient(ctx.cluster.webUrls, createAccount(o, 'chaos-a'));
  await addLine(api, ctx.carrier, '+14155550100');
  const group = await addCrowd(api, 'Everyone', N, 3_000_000);
  const wf = await addSmsWorkflow(api, { name: 'Evacuation', groupId: group, message: 'Drill A: evacuate the building now.' });
  ctx.log(`fan-out of ${N} set up in ${Math.round((Date.now() - t0) / 1000)} s; activating`);

  const started = Date.now();
  const act = expectOk('activate', await api('POST', `/v1/workflows/${wf}/activations`, {})).body;
  await waitUntil(ctx, async () => (await ctx.carrier.count()).messages >= N * 0.2, 50);
  const atKill = (await ctx.carrier.count()).messages;
  await ctx.cluster.kill9('worker1');
  ctx.log(`kill -9 worker1 at ${atKill}/${N} texts sent`);
  await sleep(1000);
  await ctx.cluster.start('worker1');
  ctx.log('worker1 restarted');

  const done = await waitUntil(ctx, async () => (await ctx.carrier.count()).recipients >= N, 500);
  const allSentSeconds = (Date.now() - started) / 1000;
  await settle(ctx);
  // Texts the killed worker sent but never recorded stay `sending` until SEND_IN_DOUBT_AFTER_MS
  // (30 s here): the sweeper then asks the carrier about each one (not a blind re-send) and the
  // activation completes. Wait for that, then count: a re-send would show as a duplicate.
  // Every text with the carrier: `dispatched` (the emulator holds its status callbacks an hour), or `completed`.
  const completed = await waitUntil(ctx, async () => handedOver((await api('GET', `/v1/activations/${act.id}`)).body.status), 1000);
  const final = await ctx.carrier.count(true);
  const expected = new Map(Array.from({ length: N }, (_, i) => [phoneOf(3_000_000, i), 1] as const));
  const t = tally(expected, final.perNumber ?? {});
  const detail = (await api('GET', `/v1/activations/${act.id}`)).body;
  const errors = [...ctx.cluster.crashed()];
  if (!done) errors.push('deadline passed before every recipient was reached');
  if (!completed || !handedOver(detail.status)) errors.push(`activation status ${detail.status}`);
  if (t.unexpected) errors.push(`${t.unexpected} texts to numbers outside the fan-out`);
  return {
    scenario: 'a', title: 'kill -9 of a worker mid fan-out, then restart', command: 'npm run chaos -- a',
    lost: t.lost, duplicated: t.duplicated, errors: errors.length, seconds: Math.round((Date.now() - t0) / 1000),
    details: { recipients: N, sentAtKill: atKill, carrier: { messages: final.messages, recipients: final.recipients, maxPerRecipient: final.maxPerRecipient }, allSentSeconds, activation: { status: detail.status, counts: detail.counts } },
    notes: errors,
  };
};
