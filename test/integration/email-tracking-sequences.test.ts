/**
 * Sequences branch on e-mail opens (issue 16): a send step's e-mail goes through the delivery
 * worker to a real SMTP server process; the test fetches the pixel from the received HTML as a
 * mail client would, and the sequence clock (manual) decides the branch's deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { startSmtpServer, type SmtpServerProcess } from '../helpers/smtp-server.js';
import { addContact, DAY, HOUR, newAccount, sentTo, startSequenceEnv, type SequenceEnv } from './sequence-harness.js';

const GMAIL_PROXY_UA = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';

describe('sequences: the "opened e-mail" branch', () => {
  let smtp: SmtpServerProcess;
  let env: SequenceEnv;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    env = await startSequenceEnv(
      { SMTP_URL: smtp.url, SMTP_FROM: 'Switchboard <news@switchboard.test>', SWEEP_INTERVAL_MS: '300', EVENTS_SWEEP_INTERVAL_MS: '100' },
      { web: true, worker: true },
    );
  });
  afterAll(async () => {
    await env?.close();
    await smtp?.stop();
  });

  const subjectsTo = (address: string) => smtp.messages().filter((m) => m.to.includes(address)).map((m) => m.subject);
  const pixelOf = (address: string, subject: string) => {
    const m = smtp.messages().find((x) => x.to.includes(address) && x.subject === subject)!;
    const src = /<img src="http:\/\/switchboard\.test(\/t\/o\/[A-Za-z0-9_-]{44}\.gif)"/.exec(m.html ?? '')?.[1];
    expect(src).toBeDefined();
    return src!;
  };

  it('refuses an opened-e-mail branch that looks back at no e-mail step, naming the field', async () => {
    const a = await newAccount(env);
    const bad = await a.api.post('/v1/sequences').send({
      name: 'No e-mail', steps: [
        { id: 'ask', type: 'send', send: { channel: 'webhook', url: 'https://hooks.example.test/x' } },
        { type: 'branch', branch: { condition: { type: 'email_opened' }, within: { amount: 1, unit: 'days' } } },
      ],
    }).expect(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ path: 'steps.1.branch.condition.step', message: 'step ask does not send an e-mail' })]);
  });

  it('takes the "opened" path once the pixel is fetched, the other path at the deadline; a machine open can be ignored', async () => {
    const a = await newAccount(env, { settings: { emailTracking: { opens: true, clicks: false } } });
    const seq = (await a.api.post('/v1/sequences').send({
      name: 'Spring offer',
      steps: [
        { id: 'offer', type: 'send', send: { channel: 'email', subject: 'Spring offer', message: 'Hi {{first_name}}, 20% off until Friday.' } },
        { id: 'read', type: 'branch', branch: { condition: { type: 'email_opened', ignoreMachineOpens: true }, within: { amount: 2, unit: 'days' }, then: 'thanks', else: 'next' } },
        { id: 'again', type: 'send', send: { channel: 'email', subject: 'Did you see our offer?', message: 'Last chance, {{first_name}}.' } },
        { type: 'branch', branch: { condition: { type: 'opted_out' }, then: 'end', else: 'end' } },
        { id: 'thanks', type: 'send', send: { channel: 'email', subject: 'Thanks for reading', message: 'See you soon.' } },
      ],
    }).expect(201)).body;
    const people = { olive: 'olive@example.test', max: 'max@example.test', nate: 'nate@example.test' };
    const ids = {
      olive: await addContact(env, a.id, { name: 'Olive Opener', email: people.olive }),
      max: await addContact(env, a.id, { name: 'Max Proxy', email: people.max }),
      nate: await addContact(env, a.id, { name: 'Nate Never', email: people.nate }),
    };
    const enrollments = new Map<string, string>();
    for (const id of Object.values(ids)) enrollments.set(id, (await a.api.post(`/v1/sequences/${seq.id}/enrollments`).send({ contactId: id }).expect(201)).body.data[0].id);

    await env.tick();
    await smtp.waitFor(3);
    for (const who of Object.values(people)) expect(subjectsTo(who)).toEqual(['Spring offer']);

    // Three hours later Olive opens it in her mail client; Gmail's image proxy fetches Max's.
    await env.advance(3 * HOUR);
    await env.http().get(pixelOf(people.olive, 'Spring offer')).set('user-agent', 'Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile').expect(200);
    await env.http().get(pixelOf(people.max, 'Spring offer')).set('user-agent', GMAIL_PROXY_UA).expect(200);
    const signals = () => env.rt.infra.db.query(`SELECT contact_id, data FROM sequence_signals WHERE kind = 'email_opened' AND account_id = $1`, [a.id]).then((r) => r.rows);
    await eventually(async () => (await signals()).length === 2, 'both opens reached the sequence');
    // Ticked until Olive's step has run: the event worker may hold her enrollment row while it
    // records her other signals, and a batch passes a locked row by (SKIP LOCKED).
    await eventually(async () => (await env.tick(), subjectsTo(people.olive).length === 2), 'Olive thanked');
    expect(subjectsTo(people.olive)).toEqual(['Spring offer', 'Thanks for reading']);
    expect(subjectsTo(people.max)).toEqual(['Spring offer']);
    expect(subjectsTo(people.nate)).toEqual(['Spring offer']);

    // Nothing before the deadline; at it, the unopened (and the machine-opened) e-mail gets the reminder.
    await env.advance(2 * DAY - 3 * HOUR - 1000);
    expect((await sentTo(env, ids.nate)).map((d) => d.payload.subject)).toEqual(['Spring offer']);
    await env.advance(1000);
    for (const who of [ids.max, ids.nate]) expect((await sentTo(env, who)).map((d) => d.payload.subject)).toEqual(['Spring offer', 'Did you see our offer?']);
    await eventually(async () => subjectsTo(people.nate).length === 2 && subjectsTo(people.max).length === 2, 'reminders e-mailed');
    expect(subjectsTo(people.olive)).toHaveLength(2);

    const history = async (contactId: string) => {
      return (await a.api.get(`/v1/sequences/${seq.id}/enrollments/${enrollments.get(contactId)}`).expect(200)).body.history
        .filter((h: { kind: string; stepId: string }) => h.kind === 'branch' && h.stepId === 'read').map((h: { detail: unknown }) => h.detail);
    };
    expect(await history(ids.olive)).toEqual([{ condition: 'email_opened', result: true, goto: 'thanks' }]);
    expect(await history(ids.max)).toEqual([{ condition: 'email_opened', result: false, goto: 'next' }]);
    expect(await history(ids.nate)).toEqual([{ condition: 'email_opened', result: false, goto: 'next' }]);
  });
});
