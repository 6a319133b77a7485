/**
 * One of everything for an account, made through the REST API where the API can make it (plain
 * SQL otherwise), and a resolver that fills any route's path parameters with that account's real
 * ids: by default the first item of the parent collection (`/v1/groups/:id/members/:contactId`
 * lists `/v1/groups/<id>/members`), with a few named exceptions. A route whose parameters cannot
 * be filled is reported, so a new route gets a fixture instead of silently testing nothing.
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { SIMULATOR_ACCOUNT_SID, simulatorAuthToken } from '../../src/carriers/simulator-credentials.js';
import type { createTestAccount, TestRuntime } from '../helpers/runtime.js';
import { pathParams } from './route-table.js';

type Acct = Awaited<ReturnType<typeof createTestAccount>>;

const hex = (n: number) => randomBytes(n).toString('hex');
const phone = () => `+1415${String(2_000_000 + Math.floor(Math.random() * 7_000_000)).padStart(7, '0')}`;

const expectOk = async (what: string, p: PromiseLike<{ status: number; body: any }>) => {
  const res = await p;
  if (res.status >= 300) throw new Error(`seed ${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

export type Seeded = { ids: Record<string, string>; all: string[] };

/**
 * The local carrier emulator (test/helpers/carrier.ts) the runtime's TWILIO_API_URL points at:
 * the Twilio line is then a number of the emulated account, so its check and set-up (on create,
 * `/v1/lines/:id/check|configure`) run against it. Without one they try Twilio itself.
 */
export type SeedCarrier = { creds: { accountSid: string; authToken: string }; carrier: { addNumber(n: { phoneNumber: string }): unknown } };

/** Creates one object of every kind for `a`; returns their ids (also as a flat list). */
export const seedAccount = async (t: TestRuntime, a: Acct, emulated?: SeedCarrier): Promise<Seeded> => {
  const db = t.rt.infra.db;
  const ids: Record<string, string> = {};
  const api = a.api;
  ids.apiKey = (await expectOk('api key', api.post('/v1/api-keys').send({ name: 'spare' }))).id;
  ids.conn = (await expectOk('carrier', api.post('/v1/carrier-connections').send(emulated?.creds ?? { accountSid: `AC${hex(16)}`, authToken: hex(16) }))).id;
  const twilioPhone = phone();
  emulated?.carrier.addNumber({ phoneNumber: twilioPhone });
  ids.line = (await expectOk('line', api.post('/v1/lines').send({ phoneNumber: twilioPhone, provider: 'twilio', carrierConnectionId: ids.conn }))).id;
  ids.simLine = (await expectOk('sim line', api.post('/v1/lines').send({ phoneNumber: phone(), provider: 'simulator' }))).id;
  ids.contact = (await expectOk('contact', api.post('/v1/contacts').send({ name: 'Ada', phone: phone(), email: `ada-${hex(3)}@example.test` }))).id;
  ids.contact2 = (await expectOk('contact 2', api.post('/v1/contacts').send({ name: 'Bo', phone: phone() }))).id;
  ids.group = (await expectOk('group', api.post('/v1/groups').send({ name: `Team ${hex(2)}` }))).id;
  await expectOk('members', api.post(`/v1/groups/${ids.group}/members`).send({ contactIds: [ids.contact, ids.contact2] }));
  const code = `Q${hex(2).toUpperCase().replace(/[^A-Z0-9]/g, '0').slice(0, 3).padEnd(3, '0')}`;
  ids.workflow = (await expectOk('workflow', api.post('/v1/workflows').send({
    name: `Flood ${hex(2)}`, codeActivation: { lineId: ids.simLine, code },
    schedule: { type: 'weekly', days: ['mon'], time: '09:00', timezone: 'UTC' },
    actions: [
      { id: 'notify', type: 'notification', groupIds: [ids.group], message: 'Flood at the dock', channels: ['sms'] },
      { id: 'hook', type: 'webhook', url: 'https://hooks.example.test/flood', body: '{"message":"{{inbound_message}}"}' },
    ],
  }))).id;
  ids.activation = (await expectOk('activation', api.post(`/v1/workflows/${ids.workflow}/activations`).send({}))).id;
  ids.poll = (await db.query(
    `INSERT INTO polls (account_id, activation_id, action_id, question, options, closes_at) VALUES ($1, $2, 'notify', 'Safe?', ARRAY['yes','no'], now() + interval '1 hour') RETURNING id`,
    [a.account.id, ids.activation],
  )).rows[0].id;
  ids.attachment = (await expectOk('attachment', t.http().post('/v1/attachments').set('authorization', `Bearer ${a.key}`)
    .attach('file', Buffer.from('%PDF-1.4 map'), { filename: 'map.pdf', contentType: 'application/pdf' }))).id;
  ids.user = (await expectOk('user', api.post('/v1/users').send({ email: `m-${hex(3)}@example.test`, name: 'Mo', password: 'correct horse battery staple' }))).id;
  ids.sequence = (await expectOk('sequence', api.post('/v1/sequences').send({
    name: `Follow-up ${hex(2)}`, steps: [{ id: 'hi', type: 'send', send: { channel: 'sms', message: 'Hello' } }, { type: 'delay', delay: { amount: 1, unit: 'days' } }],
  }))).id;
  await expectOk('enrollment', api.post(`/v1/sequences/${ids.sequence}/enrollments`).send({ contactIds: [ids.contact] }));
  ids.list = (await expectOk('list', api.post('/v1/lists').send({ name: `Hot ${hex(2)}` }))).id;
  await expectOk('list members', api.post(`/v1/lists/${ids.list}/members`).send({ contactIds: [ids.contact] }));
  ids.rule = (await expectOk('rule', api.post('/v1/rules').send({
    name: `Missed ${hex(2)}`, eventType: 'call.ended', conditions: [{ field: 'event.disposition', operator: 'equals', value: 'missed' }],
    actions: [{ type: 'change_status', status: 'callback', timing: { type: 'delay', hours: 2 } }],
  }))).id;
  ids.event = (await expectOk('event', api.post('/v1/events').send({ type: 'job.booked', contact: { id: ids.contact }, data: { jobId: 'J-1' } }))).id;
  ids.pending = (await db.query(
    `INSERT INTO rule_pending_actions (account_id, rule_id, action_id, action_type, contact_id, event_id, due_at) VALUES ($1, $2, 'a1', 'change_status', $3, $4, now() + interval '2 hours') RETURNING id`,
    [a.account.id, ids.rule, ids.contact, ids.event],
  )).rows[0].id;
  ids.dncPhone = (await expectOk('dnc', api.post('/v1/dnc').send({ phone: phone() }))).phone;
  const call = await expectOk('softphone call', api.post('/v1/softphone/calls').send({ lineId: ids.simLine, from: phone() }));
  ids.callSid = call.callSid;
  ids.callState = call.state;
  // Call tracking: a tracking line, a call on it (through the signed voice webhook), a tracking workflow.
  const trackPhone = phone();
  ids.trackLine = (await expectOk('tracking line', api.post('/v1/lines').send({ phoneNumber: trackPhone, provider: 'simulator', mode: 'tracking', settings: { tracking: { forwardTo: '+13125550100' } } }))).id;
  const callParams = { CallSid: `CA${hex(16)}`, AccountSid: SIMULATOR_ACCOUNT_SID, From: '+13125550199', To: trackPhone, CallStatus: 'ringing', Direction: 'inbound' };
  await expectOk('tracked call', t.http().post('/webhooks/twilio/voice').type('form').send(callParams)
    .set('x-twilio-signature', twilio.getExpectedTwilioSignature(simulatorAuthToken(t.config.SECRET_KEY), `${t.config.PUBLIC_URL}/webhooks/twilio/voice`, callParams)));
  ids.trackingWorkflow = (await expectOk('tracking workflow', api.post('/v1/tracking-workflows').send({
    name: `Missed ${hex(2)}`, trigger: 'answered', conditions: [], actions: [{ type: 'email_owners' }],
  }))).id;
  ids.pool = (await expectOk('tracking pool', api.post('/v1/tracking-pools').send({ source: `ads-${hex(2)}`, lineIds: [ids.trackLine] }))).id;
  ids.prompt = (await expectOk('prompt', api.post('/v1/prompts').send({ name: `Summary ${hex(2)}`, text: 'Summarise the call in one line.' }))).id;
  // A custom template (keyed by UUID): the built-in ones (keyed by slug) are shared by every account by design.
  ids.template = (await expectOk('sequence template', api.post('/v1/sequence-templates').send({
    name: `Nurture ${hex(2)}`, steps: [{ type: 'send', send: { channel: 'sms', message: 'Hi' } }],
  }))).key;
  // Rows the API only makes as a side effect of the engine (no worker runs here): a callback a
  // rule booked, and an e-mail delivery of the activation that was opened once.
  ids.callback = (await db.query(
    `INSERT INTO callbacks (account_id, contact_id, kind, line_id, whisper, due_at) VALUES ($1, $2, 'scheduled', $3, 'Call Ada back', now() + interval '1 day') RETURNING id`,
    [a.account.id, ids.contact, ids.simLine],
  )).rows[0].id;
  // Cancelling ends a callback for good (moves are then 409): the cancel route gets one of its own.
  ids.callbackToCancel = (await db.query(
    `INSERT INTO callbacks (account_id, contact_id, kind, line_id, whisper, due_at) VALUES ($1, $2, 'scheduled', $3, 'Call Ada again', now() + interval '2 days') RETURNING id`,
    [a.account.id, ids.contact, ids.simLine],
  )).rows[0].id;
  ids.emailDelivery = (await db.query(
    `INSERT INTO deliveries (account_id, activation_id, action_id, recipient_key, contact_id, channel, address, status)
     VALUES ($1, $2, 'notify', $3::text, $3::uuid, 'email', 'ada@example.test', 'sent') RETURNING id`,
    [a.account.id, ids.activation, ids.contact],
  )).rows[0].id;
  await db.query(`INSERT INTO email_tracking (delivery_id, account_id, open_count, first_opened_at, last_opened_at) VALUES ($1, $2, 1, now(), now())`,
    [ids.emailDelivery, a.account.id]);
  const all = Object.values(ids).filter((v) => typeof v === 'string');
  return { ids, all };
};

type Get = (url: string) => PromiseLike<{ status: number; body: any }>;

/** The first array in a list response (`[...]`, `{ data: [...] }`, `{ contacts: [...] }`…). */
const firstItems = (body: any): any[] => {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object') for (const v of Object.values(body)) if (Array.isArray(v)) return v;
  return [];
};

/**
 * Named exceptions: parameters whose value is not the first item of the parent collection, keyed
 * by the path up to the parameter, or by a whole single-parameter route (which wins).
 */
const special = (ids: Record<string, string>): Record<string, string> => ({
  '/v1/workflows/:id/actions/:actionId': 'hook',
  '/v1/softphone/calls/:callSid': ids.callSid!,
  '/v1/dnc/:phone': encodeURIComponent(ids.dncPhone!),
  '/v1/api-keys/:id': ids.apiKey!,
  '/v1/lines/:id': ids.line!,
  '/v1/rule-pending-actions/:id': ids.pending!,
  '/v1/polls/:id': ids.poll!,
  '/v1/deliveries/:id': ids.emailDelivery!, // no list of deliveries
  '/v1/sequence-templates/:key': ids.template!, // the list starts with the shared built-ins
  '/v1/callbacks/:id/cancel': ids.callbackToCancel!,
});

/**
 * Fills `route`'s parameters with `owner`'s ids. Returns the URL, or null with the reason when a
 * parameter could not be filled (no fixture for that kind of object).
 */
export const resolveRoute = async (route: string, seeded: Seeded, ownerGet: Get): Promise<{ url: string } | { missing: string }> => {
  const named = special(seeded.ids);
  let url = '';
  let rest = route;
  for (const param of pathParams(route)) {
    const at = rest.indexOf(`:${param}`);
    const before = url + rest.slice(0, at);
    const key = `${route.slice(0, route.indexOf(`:${param}`))}:${param}`;
    let value = named[route] ?? named[key];
    if (value === undefined) {
      const res = await ownerGet(before.replace(/\/$/, ''));
      const item = res.status === 200 ? firstItems(res.body)[0] : undefined;
      const v = item && (item[param] ?? item.id ?? item.version);
      if (v === undefined || v === null) return { missing: `${key} (GET ${before.replace(/\/$/, '')} -> ${res.status}, no item)` };
      value = String(v);
    }
    if (value === '') return { missing: `${key}: not an account's object` };
    url = before + value;
    rest = rest.slice(at + param.length + 1);
  }
  return { url: url + rest };
};
