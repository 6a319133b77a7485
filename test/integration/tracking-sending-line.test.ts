/**
 * Which line a post-call text goes out on (src/engine/sending-line.ts), as the carrier sees it:
 * the tracking line the caller rang; when that line has been deleted before the post-call
 * workflow ran, the account's oldest activation line, else its oldest line of any mode (two lines
 * created together: the lower id). The API deletes a tracking line a tracked call references (no
 * workflow uses it): the call keeps its row, its `line_id` becomes null.
 *
 * The web role (carrier webhooks) runs alone while the call happens and the line is deleted; the
 * worker role (event worker, tracking evaluator, engine), sharing its database and Redis, starts
 * afterwards — so the evaluator surely runs after the deletion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTwilioLine, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { drained } from '../helpers/drained.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime } from '../helpers/runtime.js';

type Acct = Awaited<ReturnType<typeof createTestAccount>>;

describe('call tracking: the post-call text goes out on the rung line, else the fallback line', () => {
  let env: RuntimeWithCarrier;
  const q = (sql: string, args: unknown[] = []) => env.t.rt.infra.db.query(sql, args);

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({}, { web: true, worker: false });
  }, 60_000);
  afterAll(async () => env?.close());

  const line = (a: Acct, mode: 'activation' | 'tracking') =>
    addTwilioLine(env.t, a.account.id, { ...env.creds, mode, ...(mode === 'tracking' ? { settings: { tracking: { source: 'Flyer', forwardTo: [uniqueNumber()] } } } : {}) });
  /** Two lines created in one transaction: the same created_at, later than the account's other lines; the lower id first. */
  const pairCreatedTogether = async (a: Acct, mode: 'activation' | 'tracking'): Promise<[LineFixture, LineFixture]> => {
    const pair = [await line(a, mode), await line(a, mode)];
    await q(`UPDATE lines SET created_at = now() + interval '1 minute' WHERE id = ANY($1::uuid[])`, [pair.map((l) => l.id)]);
    return pair.sort((x, y) => (x.id < y.id ? -1 : 1)) as [LineFixture, LineFixture];
  };
  const textsTo = (to: string) => env.carrier.messages.filter((m) => m.to === to && m.direction === 'outbound-api');

  /**
   * A missed call from a new caller to `rung` (the desk is busy), ended and settled on the web
   * side; then `beforeRun` (e.g. deleting the line); then the worker role runs the post-call
   * workflow "Sorry!" until the text reached the carrier, and the work is drained.
   */
  const missedCallThenText = async (a: Acct, rung: LineFixture, beforeRun: () => Promise<void> = async () => {}) => {
    const flow = (await a.api.post('/v1/tracking-workflows').send({
      name: 'Sorry we missed you', trigger: 'missed', actions: [{ id: 'sorry', type: 'sms_caller', message: 'Sorry!' }],
    }).expect(201)).body.id as string;
    const caller = uniqueNumber();
    const call = await env.carrier.placeInboundCall({ from: caller, to: rung.phone, dial: () => ({ status: 'busy' }) });
    await eventually(async () => (await q('SELECT 1 FROM tracked_calls WHERE provider_call_id = $1 AND ended_at IS NOT NULL', [call.callSid])).rowCount === 1, 'the call ended');
    await env.carrier.settled();
    await beforeRun();
    expect(textsTo(caller)).toEqual([]); // nothing ran yet: no worker

    const c = env.t.config;
    const worker = await startTestRuntime(
      { TWILIO_API_URL: c.TWILIO_API_URL!, PUBLIC_URL: c.PUBLIC_URL, REDIS_PREFIX: c.REDIS_PREFIX, DATABASE_URL: c.DATABASE_URL, EVENTS_SWEEP_INTERVAL_MS: '100' },
      { web: false, worker: true }, { databaseUrl: c.DATABASE_URL },
    );
    try {
      await eventually(async () => textsTo(caller).length > 0, 'the post-call text at the carrier', 20_000);
      await drained(worker, { carrier: env.carrier });
    } finally {
      await worker.close();
    }
    const stored = (await q(
      `SELECT d.id, d.status, d.payload, m.line_id AS message_line_id, m.from_address, l.actions, l.line_id AS log_line_id
         FROM activations a JOIN deliveries d ON d.activation_id = a.id
         LEFT JOIN messages m ON m.delivery_id = d.id
         JOIN tracking_logs l ON l.workflow_id = $3 AND l.call_id = (SELECT call_id FROM tracked_calls WHERE provider_call_id = $4)
        WHERE a.account_id = $1 AND a.idempotency_key = $2`,
      [a.account.id, `tracking:${call.callSid}:${flow}`, flow, call.callSid],
    )).rows;
    return { texts: textsTo(caller).map((m) => ({ from: m.from, body: m.body })), stored };
  };
  /** What is stored of a text sent from `l`: the delivery, its conversation row, the run's log naming that delivery. */
  const storedFrom = (l: LineFixture, rungLineId: string | null, stored: Array<{ id: string }>) => [{
    id: stored[0]?.id ?? 'no delivery', status: expect.stringMatching(/^(sent|delivered)$/), payload: { body: 'Sorry!', lineId: l.id, from: l.phone },
    message_line_id: l.id, from_address: l.phone,
    actions: [{ actionId: 'sorry', type: 'sms_caller', result: 'queued', deliveryIds: [stored[0]?.id ?? 'no delivery'] }],
    log_line_id: rungLineId,
  }];

  it('the rung tracking line sends, though an older activation line exists', async () => {
    const a = await createTestAccount(env.t);
    await line(a, 'activation');
    const rung = await line(a, 'tracking');
    const { texts, stored } = await missedCallThenText(a, rung);
    expect(texts).toEqual([{ from: rung.phone, body: 'Sorry!' }]);
    expect(stored).toEqual(storedFrom(rung, rung.id, stored));
  });

  it('the rung line deleted: the oldest activation line (of two created together, the lower id), not an older tracking line', async () => {
    const a = await createTestAccount(env.t);
    await line(a, 'tracking');
    const rung = await line(a, 'tracking');
    const [first] = await pairCreatedTogether(a, 'activation');
    const { texts, stored } = await missedCallThenText(a, rung, async () => {
      await a.api.delete(`/v1/lines/${rung.id}`).expect(204);
    });
    expect(texts).toEqual([{ from: first.phone, body: 'Sorry!' }]);
    expect(stored).toEqual(storedFrom(first, null, stored));
  });

  it('the rung line deleted and no activation line: the oldest line of any mode (of two created together, the lower id)', async () => {
    const a = await createTestAccount(env.t);
    const rung = await line(a, 'tracking');
    await q(`UPDATE lines SET created_at = now() - interval '1 minute' WHERE id = $1`, [rung.id]); // the oldest, until deleted
    const [first] = await pairCreatedTogether(a, 'tracking');
    const { texts, stored } = await missedCallThenText(a, rung, async () => {
      await a.api.delete(`/v1/lines/${rung.id}`).expect(204);
    });
    expect(texts).toEqual([{ from: first.phone, body: 'Sorry!' }]);
    expect(stored).toEqual(storedFrom(first, null, stored));
  });
});
