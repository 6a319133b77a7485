import { describe, expect, it } from 'vitest';
import { createCapabilitiesService, NO_PUSH, NO_SMTP } from '../../src/accounts/capabilities-service.js';
import { capabilitiesRepo } from '../../src/accounts/capabilities-repo.js';
import type { Queryable } from '../../src/db/db.js';
import { renderSms } from '../../src/tracking/call-details.js';
import { previewSms, sampleDetails, SAMPLE_CALLER } from '../../src/tracking/tracking-preview.js';

const line = { id: '11111111-1111-4111-8111-111111111111', name: 'Spring line', phoneNumber: '+14155550123', settings: { tracking: { source: 'Spring mailer', forwardTo: ['+14155550111'] } } };

describe('post-call SMS preview', () => {
  it('renders with the same function as a real run, on a sample call of the line, in the account zone', () => {
    const now = new Date('2026-03-14T08:05:00Z');
    const d = sampleDetails('missed', 'Europe/Paris', line, now);
    const msg = 'Missed {{caller}} on {{line}} ({{line_number}}) for {{source}} at {{time}}: {{duration}} s, {{reason}}.';
    const p = previewSms(msg, d);
    expect(p.text).toBe(`Missed ${SAMPLE_CALLER} on Spring line (+14155550123) for Spring mailer at 2026-03-14 09:05: 0 s, no-answer.`);
    expect(p.text).toBe(renderSms(msg, d));
    expect(p).toMatchObject({ length: p.text.length, maxLength: 1600, unknownFields: [] });
    expect(previewSms('Hi {{caller}}', sampleDetails('answered', 'UTC', line, now)).sample).toMatchObject({ duration: 42, outcome: 'answered' });
  });

  it('names {{fields}} that would go out empty', () => {
    expect(previewSms('Hi {{ name }}, {{caller}} {{callr}}', sampleDetails('missed', 'UTC', null)).unknownFields).toEqual(['name', 'callr']);
  });
});

describe('account capabilities', () => {
  const db = (connected: boolean[], owners = 1): Queryable => ({
    query: (async (sql: string) => (sql.includes('FROM lines')
      ? { rows: connected.map((c, i) => ({ id: `l${i}`, phone_number: `+1415555010${i}`, mode: 'activation', connected: c })) }
      : { rows: [{ n: owners }] })) as unknown as Queryable['query'],
  } as Queryable);

  it('says e-mail and push are off, with the reason, when SMTP_URL and a push provider are missing', async () => {
    const caps = await createCapabilitiesService({ capabilities: capabilitiesRepo, db: db([true]), config: {} }).forAccount('a');
    expect(caps.channels.email).toEqual({ available: false, reason: NO_SMTP, catcher: false });
    expect(caps.channels.push).toEqual({ available: false, reason: NO_PUSH, provider: 'none' });
    expect(caps.channels.sms.available && caps.channels.voice.available).toBe(true);
  });

  it('e-mail on with SMTP_URL (and no URL in the answer); SMS and voice off when no line reaches the carrier', async () => {
    const caps = await createCapabilitiesService({ capabilities: capabilitiesRepo, db: db([false], 0), config: { SMTP_URL: 'smtp://user:pw@mail.example:587', PUSH_PROVIDER: 'simulator' } }).forAccount('a');
    expect(caps.channels.email).toEqual({ available: true, reason: null, catcher: false });
    expect(caps.channels.push.available).toBe(true);
    expect(caps.channels.voice).toEqual({ available: false, reason: expect.stringContaining('No phone line can reach the carrier') });
    expect(caps.lines).toEqual([expect.objectContaining({ id: 'l0', canSend: false })]);
    expect(caps.ownerEmails).toMatchObject({ available: false, count: 0 });
    expect(JSON.stringify(caps)).not.toContain('mail.example');
  });
});
