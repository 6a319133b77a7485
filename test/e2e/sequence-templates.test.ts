import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCarrierEmulator, type CarrierEmulator } from '../../dev/carrier/emulator.js';
import { addTwilioLine, type LineFixture } from '../helpers/carrier-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { startSmtpServer, type SmtpServerProcess } from '../helpers/smtp-server.js';
import { addContact, DAY, HOUR, newAccount, startSequenceEnv, type SequenceEnv } from '../integration/sequence-harness.js';

/**
 * Templates end to end: the gateway listens on a real port with the carrier emulator as its
 * Twilio and a real SMTP server; the sequence clock is manual, so a week passes in seconds.
 * Texts are asserted where the carrier received them, e-mails where the SMTP server did.
 */
describe('sequence templates end to end through the carrier emulator and SMTP', () => {
  let env: SequenceEnv;
  let carrier: CarrierEmulator;
  let smtp: SmtpServerProcess;
  let line: LineFixture;
  let acct: Awaited<ReturnType<typeof newAccount>>;
  const creds = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };

  beforeAll(async () => {
    smtp = await startSmtpServer();
    carrier = await startCarrierEmulator({ ...creds, gatewayUrl: 'http://127.0.0.1:9', publicUrl: 'http://switchboard.test', callbackDelayMs: 5 });
    env = await startSequenceEnv({ TWILIO_API_URL: carrier.url, SMTP_URL: smtp.url, SMTP_FROM: 'Acme <acme@example.test>' }, { web: true, worker: true });
    carrier.setGateway(await env.rt.listen(), env.config.PUBLIC_URL);
    acct = await newAccount(env);
    line = await addTwilioLine(env as never, acct.id, creds);
  });
  afterAll(async () => {
    await env?.close();
    await carrier?.close();
    await smtp?.stop();
  });

  const textsTo = (to: string) => carrier.messages.filter((m) => m.to === to && m.direction === 'outbound-api').map((m) => m.body);
  const waitTexts = (to: string, n: number) => carrier.waitFor(() => textsTo(to).length >= n && textsTo(to), 10_000);
  const enroll = async (seqId: string, contactId: string, placeholders: Record<string, string>) =>
    (await acct.api.post(`/v1/sequences/${seqId}/enrollments`).send({ contactId, placeholders }).expect(201)).body.data[0];
  const statusOf = async (seqId: string, id: string) => (await acct.api.get(`/v1/sequences/${seqId}/enrollments/${id}`).expect(200)).body;

  it('New Lead Follow-Up: SMS, day-1 e-mail, day-3 call (one presses 1), day-7 re-engage only for the other; job.booked exits a third', async () => {
    const seq = (await acct.api.post('/v1/sequence-templates/new-lead-follow-up/copy').send({ lineId: line.id }).expect(201)).body;
    const ph = { company: 'Acme Plumbing' };
    const lena = { phone: '+13125550301', email: 'lena@example.test' };
    const omar = { phone: '+13125550302', email: 'omar@example.test' };
    const bea = { phone: '+13125550303', email: 'bea@example.test' };
    const cLena = await addContact(env, acct.id, { name: 'Lena Lead', ...lena });
    const cOmar = await addContact(env, acct.id, { name: 'Omar Open', ...omar });
    const cBea = await addContact(env, acct.id, { name: 'Bea Booked', ...bea });
    carrier.setBehaviour(lena.phone, { answer: 'answer', keys: '1' });
    carrier.setBehaviour(omar.phone, { answer: 'no-answer' });
    const eLena = await enroll(seq.id, cLena, ph);
    const eOmar = await enroll(seq.id, cOmar, ph);
    const eBea = await enroll(seq.id, cBea, ph);

    await env.tick();
    expect(await waitTexts(lena.phone, 1)).toEqual(['Hi Lena, thanks for contacting Acme Plumbing! We received your request and will be in touch shortly. Reply here any time.']);
    await waitTexts(omar.phone, 1);
    await waitTexts(bea.phone, 1);

    await env.advance(DAY);
    const mails = await smtp.waitFor(3);
    const toLena = mails.find((m) => m.to.includes(lena.email))!;
    expect(toLena.subject).toBe('Following up on your request to Acme Plumbing');
    expect(toLena.text).toContain('Hi Lena,');

    // Bea books a job: the external system posts job.booked; the event worker ends her sequence.
    await acct.api.post('/v1/events').send({ type: 'job.booked', contact: { email: bea.email }, data: { jobId: 'J-1' } }).expect(202);
    // The event worker runs asynchronously; the consumer makes her enrollment due, the next batch exits it.
    await eventually(async () => (await env.tick(), (await statusOf(seq.id, eBea.id)).status === 'exited'), 'Bea exited', 10_000);
    expect(await statusOf(seq.id, eBea.id)).toMatchObject({ status: 'exited', exitReason: 'event:job.booked' });

    await env.advance(2 * DAY);
    const calls = await carrier.waitFor(() => carrier.calls.filter((c) => [lena.phone, omar.phone].includes(c.to)).length >= 2 && carrier.calls, 10_000);
    expect(calls.filter((c) => c.to === bea.phone)).toEqual([]);
    // Lena pressed 1 on the check-in call: her delivery is acknowledged.
    const ack = async () => (await env.rt.infra.db.query(
      `SELECT status FROM deliveries WHERE contact_id = $1 AND channel = 'voice'`, [cLena])).rows[0]?.status;
    await eventually(async () => (await ack()) === 'acknowledged', 'Lena acknowledged', 10_000);
    expect(await ack()).toBe('acknowledged');

    await env.advance(4 * DAY);
    expect(await waitTexts(omar.phone, 2)).toEqual([
      'Hi Omar, thanks for contacting Acme Plumbing! We received your request and will be in touch shortly. Reply here any time.',
      'Hi Omar, still looking for help? Acme Plumbing has openings this week. Reply YES and we will call you.',
    ]);
    expect(textsTo(lena.phone)).toHaveLength(1);
    expect(textsTo(bea.phone)).toHaveLength(1);
    expect(await statusOf(seq.id, eLena.id)).toMatchObject({ status: 'completed' });
    expect(await statusOf(seq.id, eOmar.id)).toMatchObject({ status: 'completed' });

    // Every message the sequence sent is in Lena's conversation history.
    const history = await env.rt.infra.db.query(`SELECT channel, direction FROM messages WHERE contact_id = $1 ORDER BY created_at`, [cLena]);
    expect(history.rows).toEqual([{ channel: 'sms', direction: 'outbound' }, { channel: 'email', direction: 'outbound' }, { channel: 'voice', direction: 'outbound' }]);
  });

  it('Post-Job Review Request: a texted reply takes the other branch (no e-mail fallback); silence gets the e-mail at 72 h and the day-7 ask', async () => {
    const seq = (await acct.api.post('/v1/sequence-templates/post-job-review-request/copy').send({ name: 'Reviews', lineId: line.id }).expect(201)).body;
    const ph = { company: 'Acme Plumbing', review_link: 'https://r.example/acme' };
    const rex = { phone: '+13125550311', email: 'rex@example.test' };
    const sia = { phone: '+13125550312', email: 'sia@example.test' };
    const cRex = await addContact(env, acct.id, { name: 'Rex Reply', ...rex });
    await addContact(env, acct.id, { name: 'Sia Silent', ...sia });
    const eRex = await enroll(seq.id, cRex, ph);
    const cSia = (await env.rt.infra.db.query('SELECT id FROM contacts WHERE phone = $1', [sia.phone])).rows[0].id;
    await enroll(seq.id, cSia, ph);
    await env.tick();
    expect(textsTo(rex.phone)).toEqual([]); // the first step waits 24 h
    await env.advance(24 * HOUR);
    expect(await waitTexts(rex.phone, 1)).toEqual(['Hi Rex, thanks for choosing Acme Plumbing! Would you take a minute to review us? https://r.example/acme']);
    await waitTexts(sia.phone, 1);

    await env.advance(5 * HOUR);
    const reply = await carrier.sendInboundSms({ from: rex.phone, to: line.phone, body: 'Done, left you 5 stars' });
    expect(reply.status).toBe(200);
    expect(reply.replies).toEqual([]); // a pure sequence reply gets no "unknown code" answer
    // The reply made Rex's enrollment due. The event worker may be writing his other signals (his text's
    // status callbacks) at this moment, and a batch skips a row another transaction holds: tick until it ran.
    await eventually(async () => (await env.tick(), (await statusOf(seq.id, eRex.id)).status === 'completed'), 'Rex completed', 10_000);
    expect(await statusOf(seq.id, eRex.id)).toMatchObject({ status: 'completed' });

    const before = smtp.messages().length;
    await env.advance(43 * HOUR); // 72 h after enrollment
    const mails = await smtp.waitFor(before + 1);
    expect(mails.slice(before).map((m) => [m.to, m.subject])).toEqual([[[sia.email], 'How did we do, Sia?']]);
    await env.advance(4 * DAY);
    expect(await waitTexts(sia.phone, 2)).toEqual([
      'Hi Sia, thanks for choosing Acme Plumbing! Would you take a minute to review us? https://r.example/acme',
      'Last ask from Acme Plumbing, Sia: a quick review would mean a lot. https://r.example/acme',
    ]);
    expect(textsTo(rex.phone)).toHaveLength(1);
    // Rex's reply is in his conversation history next to the request.
    const history = await env.rt.infra.db.query(`SELECT direction, body FROM messages WHERE contact_id = $1 ORDER BY created_at`, [cRex]);
    expect(history.rows.map((r) => r.direction)).toEqual(['outbound', 'inbound']);
    expect(history.rows[1].body).toBe('Done, left you 5 stars');
  });
});
