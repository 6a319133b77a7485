/**
 * Property-based fuzzing of every carrier webhook: each POST under /webhooks/ in the app's route
 * table (voice and its steps, sms, status, outbound call TwiML, call tracking once registered)
 * gets form bodies with the carrier's field names — real call/message SIDs, the lines' numbers,
 * delivery ids, codes — and hostile values, signed the way the carrier signs (the official
 * `twilio` helper) so they reach the handlers; now and then unsigned or wrongly signed.
 *
 * FUZZ_RUNS (default 10,000) cases per webhook (`voice` with its step URLs, `sms`, `status`,
 * `outbound`, `tracking`…), spread over its routes, the webhooks split over webhooks-N.test.ts files.
 * Every response is below 500; every voice/outbound answer that is a 200 is TwiML; a rejected
 * request (4xx) wrote nothing (write-counter.ts).
 */
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCodeWorkflow, addContacts, addGroup, addSimulatorLine, addTwilioLine, signedPost, type LineFixture } from '../helpers/carrier-fixtures.js';
import { addWorkflow } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { FUZZ_RUNS, segment, type Failure } from './api-fuzz.js';
import { webhookRoutes, type Route } from './route-table.js';
import { hostileStrings } from './schema-arbitrary.js';
import { installWriteCounter, type WriteCounter } from './write-counter.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const PUB = 'http://switchboard.test';

type Env = {
  t: TestRuntime; counter: WriteCounter; routes: Route[]; lines: LineFixture[];
  callSids: string[]; messageSids: string[]; deliveries: string[]; workflows: string[]; numbers: string[];
};

/** A runtime with lines, code workflows and an activation whose deliveries have carrier ids. */
const startEnv = async (): Promise<Env> => {
  const t = await startTestRuntime({ PUBLIC_URL: PUB, LOCKOUT_MAX_MISSES: '50', LOCKOUT_LINE_MAX_MISSES: '500' }, { web: true, worker: false });
  const a = await createTestAccount(t);
  const twilioLine = await addTwilioLine(t, a.account.id);
  const simLine = await addSimulatorLine(t, a.account.id);
  const trackLine = await addTwilioLine(t, a.account.id, { accountSid: twilioLine.accountSid, authToken: twilioLine.authToken, mode: 'tracking' });
  const people = await addContacts(t, a.account.id, [{ name: 'Ana', phone: '+13125550201' }, { name: 'Bo', phone: '+13125550202' }]);
  const group = await addGroup(t, a.account.id, 'Responders', people);
  const wf1 = await addCodeWorkflow(t, a.account.id, { name: 'Gate', code: 'RESQ', lineId: null, groupIds: [group] });
  const wf2 = await addCodeWorkflow(t, a.account.id, { name: 'Voicemail', code: 'VM01', lineId: simLine.id, groupIds: [group], askVoiceMessage: true });
  // Deliveries with carrier ids (SMS and calls through the simulator), made by a worker that is
  // stopped before fuzzing so nothing writes in the background.
  const wf3 = await addWorkflow(t, a.account.id, {
    name: 'Calls', codeLineId: simLine.id,
    actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: true, message: 'Drill', channels: ['sms', 'voice'], poll: { question: 'OK?', options: ['yes', 'no'], durationMinutes: 60 } }],
  });
  const worker = await startTestRuntime({ PUBLIC_URL: PUB, REDIS_PREFIX: t.config.REDIS_PREFIX, SIMULATOR_CALLBACKS: 'false' }, { web: false, worker: true }, { databaseUrl: (t as TestRuntime & { databaseUrl: string }).databaseUrl });
  try {
    const act = await a.api.post(`/v1/workflows/${wf3}/activations`).send({});
    if (act.status !== 201) throw new Error(`seed activation: ${act.status} ${JSON.stringify(act.body)}`);
    await eventually(async () => Number((await t.rt.infra.db.query(`SELECT count(*) AS n FROM deliveries WHERE provider_id IS NOT NULL`)).rows[0].n) >= 4, 'seeded deliveries sent', 30_000);
  } finally {
    await worker.close();
  }
  // A call on the tracking line, so tracking callbacks can name a known call.
  const trackedSid = `CA${randomBytes(16).toString('hex')}`;
  await signedPost(t.http(), PUB, '/webhooks/twilio/voice', { CallSid: trackedSid, AccountSid: trackLine.accountSid, From: '+13125550201', To: trackLine.phone, CallStatus: 'ringing' }, { authToken: trackLine.authToken }).expect(200);
  const d = (await t.rt.infra.db.query(`SELECT id, provider_id, channel FROM deliveries`)).rows;
  const counter = await installWriteCounter(t.rt.infra.db, ['outbox.upd']);
  return {
    t, counter, routes: webhookRoutes(t.rt.app!), lines: [twilioLine, simLine, trackLine],
    callSids: [...d.filter((r) => r.channel === 'voice').map((r) => r.provider_id as string), trackedSid, `CA${randomBytes(16).toString('hex')}`],
    messageSids: d.filter((r) => r.channel === 'sms').map((r) => r.provider_id as string),
    deliveries: d.map((r) => r.id as string), workflows: [wf1.id, wf2.id, wf3], numbers: [twilioLine.phone, simLine.phone, trackLine.phone, '+13125550201', '+13125550999'],
  };
};

const hex32 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 });
const hostile = fc.constantFrom(...hostileStrings.filter((s) => s.length < 3000));
const str = (good: fc.Arbitrary<string>) => fc.oneof({ arbitrary: good, weight: 8 }, { arbitrary: hostile, weight: 1 }, { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 1 });

/** Carrier form fields: the real ones with plausible values, hostile values, unknown keys. */
const paramsArb = (env: Env) => {
  const sid = (prefix: string, known: string[]) => str(fc.oneof(...(known.length ? [fc.constantFrom(...known)] : []), hex32.map((h) => prefix + h)));
  const model = {
    CallSid: sid('CA', env.callSids),
    MessageSid: sid('SM', env.messageSids),
    From: str(fc.constantFrom('+13125550201', '+13125550101', '+13125550102', 'anonymous', '+266696687', '', 'client:ops')),
    To: str(fc.constantFrom(...env.numbers)),
    Digits: str(fc.oneof(fc.constantFrom('7377', '8601', '1', '2', '9', '#', '*', ''), fc.string({ unit: fc.constantFrom(...'0123456789*#w'), maxLength: 10 }))),
    RecordingUrl: str(fc.constantFrom('https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1', 'https://127.0.0.1/x', 'not a url')),
    RecordingDuration: str(fc.nat({ max: 400 }).map(String)),
    CallStatus: str(fc.constantFrom('queued', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled', 'initiated', 'answered')),
    MessageStatus: str(fc.constantFrom('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'received', 'read', 'accepted')),
    SmsStatus: str(fc.constantFrom('received', 'sent', 'delivered')),
    ErrorCode: str(fc.constantFrom('30003', '21610', '30007', '0')),
    SequenceNumber: str(fc.integer({ min: -2, max: 20 }).map(String)),
    CallDuration: str(fc.integer({ min: -5, max: 5000 }).map(String)),
    AnsweredBy: str(fc.constantFrom('human', 'machine_start', 'unknown')),
    Direction: str(fc.constantFrom('inbound', 'outbound-api', 'outbound-dial')),
    Timestamp: str(fc.constantFrom(new Date().toUTCString(), 'yesterday', '')),
    Body: str(fc.oneof(fc.constantFrom('RESQ', 'VM01', 'STOP', 'START', 'HELP', '1', '2', 'yes'), fc.string({ maxLength: 200 }))),
    NumMedia: str(fc.constantFrom('0', '1', '10')),
    DialCallStatus: str(fc.constantFrom('completed', 'no-answer', 'busy')),
    ApiVersion: fc.constant('2010-04-01'),
  };
  const account = fc.oneof({ arbitrary: fc.constantFrom(...env.lines.map((l) => l.accountSid)), weight: 20 }, { arbitrary: hex32.map((h) => `AC${h}`), weight: 1 });
  return fc.tuple(fc.record(model, { requiredKeys: [] }), account, fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 20 }), { maxKeys: 2 }))
    .map(([p, acct, extra]) => ({ ...extra, ...p, AccountSid: acct }) as Record<string, string>);
};

const queryArb = (env: Env) => {
  const value = (good: fc.Arbitrary<string>) => str(good).map(segment);
  const known = fc.constantFrom(...env.deliveries, ...env.workflows, ...env.callSids);
  const small = fc.constantFrom('0', '1', '2', '3', '11', '-1');
  return fc.record({
    attempt: value(small), workflow: value(known), delivery: value(known), kind: value(fc.constantFrom('sms', 'voice', 'call')),
    call: value(known), step: value(small), leg: value(small), x: value(fc.string({ maxLength: 5 })),
  }, { requiredKeys: [] }).map((q) => Object.entries(q).map(([k, v]) => `${k}=${v}`).join('&'));
};

/** How the request is signed: right (mostly), not at all, or wrongly. */
const signingArb = fc.constantFrom('right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'none', 'wrong');

const tokenFor = (env: Env, accountSid: string) => env.lines.find((l) => l.accountSid === accountSid)?.authToken ?? 'unknown-token';

/** `/webhooks/twilio/voice/code` -> `voice`: the webhook a route belongs to (its step URLs included). */
export const webhookFamily = (path: string): string => path.split('/')[3] ?? path;

const fuzzFamily = async (env: Env, routes: Route[], failures: Failure[]) => {
  const st = { routes: routes.length, cases: 0, ok: 0, rejected: 0, ms: 0 };
  const t0 = performance.now();
  let last = await env.counter.snapshot();
  const app = env.t.rt.app!;
  await fc.assert(fc.asyncProperty(fc.constantFrom(...routes), paramsArb(env), queryArb(env), signingArb, async (route, params, query, signing) => {
    const url = query ? `${route.path}?${query}` : route.path;
    const signature = signing === 'right' ? twilio.getExpectedTwilioSignature(tokenFor(env, params.AccountSid!), PUB + url, params)
      : signing === 'wrong' ? twilio.getExpectedTwilioSignature('not-the-token', PUB + url, params) : null;
    const res = await app.inject({
      method: 'POST', url, payload: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
    });
    // The voice greeting writes its call row behind the answer: count it with its own request.
    await env.t.rt.services.telephony.calls.flush();
    const now = await env.counter.snapshot();
    const writes = env.counter.diff(last, now);
    last = now;
    st.cases++;
    const report = (why: string) => ({ route: `${route.method} ${route.path} (${why})`, url, status: res.statusCode, body: res.body.slice(0, 300), sent: JSON.stringify({ params, signing }).slice(0, 500) });
    if (res.statusCode >= 500) failures.push(report('5xx'));
    else if (res.statusCode >= 400) {
      st.rejected++;
      if (writes.length) failures.push({ ...report('wrote on a rejected request'), writes });
    } else {
      st.ok++;
      const twiml = /\/(voice|outbound|tracking)/.test(route.path);
      if (twiml && !(String(res.headers['content-type']).startsWith('text/xml') && res.body.startsWith('<?xml'))) failures.push(report('not TwiML'));
    }
    if (signing !== 'right' && res.statusCode !== 403) failures.push(report('unsigned request not refused'));
    return true;
  }), { numRuns: FUZZ_RUNS, seed: SEED, endOnFailure: true });
  st.ms = Math.round(performance.now() - t0);
  return st;
};

/** Test file `part` of `parts`: the webhook routes whose sorted index is `part` modulo `parts`. */
export const defineWebhookFuzz = (part: number, parts: number) => {
  describe(`fuzz: carrier webhooks, part ${part + 1} of ${parts} (no 5xx, TwiML, no partial write)`, () => {
    let env: Env;
    beforeAll(async () => {
      env = await startEnv();
    }, 120_000);
    afterAll(async () => env?.t.close());

    it(`sends ${FUZZ_RUNS} signed cases to each of its webhooks`, async () => {
      const all = env.routes.map((r) => r.path).sort();
      expect(all).toEqual(expect.arrayContaining(['/webhooks/twilio/voice', '/webhooks/twilio/voice/code', '/webhooks/twilio/sms', '/webhooks/twilio/status', '/webhooks/twilio/outbound/notify']));
      const families = [...new Set(env.routes.map((r) => webhookFamily(r.path)))].sort().filter((_, i) => i % parts === part);
      const failures: Failure[] = [];
      const stats: Record<string, Awaited<ReturnType<typeof fuzzFamily>>> = {};
      for (const f of families) stats[f] = await fuzzFamily(env, env.routes.filter((r) => webhookFamily(r.path) === f), failures);
      console.log(`webhook fuzz part ${part + 1}/${parts}: ${JSON.stringify(stats)}`);
      expect(failures.slice(0, 15)).toEqual([]);
      for (const [path, st] of Object.entries(stats)) expect(st.cases, path).toBeGreaterThanOrEqual(FUZZ_RUNS);
    }, 1_800_000);
  });
};
