import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../adapters/email/mail-catcher.js';
import { emailHtml } from '../../src/email-tracking/email-html.js';
import { detectMachine } from '../../src/email-tracking/machine-opens.js';
import { createTrackingTokens } from '../../src/email-tracking/tracking-tokens.js';
import { signalMatches, type Signal } from '../../src/sequences/conditions.js';

const D1 = '6f1c2b0e-0000-4000-8000-000000000001';
const D2 = '6f1c2b0e-0000-4000-8000-000000000002';

describe('tracking tokens', () => {
  const tokens = createTrackingTokens('test-secret-key-0123456789abcdefghijklmnop');

  it('round-trips the delivery id, and only for the purpose and URL signed', () => {
    const open = tokens.openToken(D1);
    expect(open).toMatch(/^[A-Za-z0-9_-]{44}$/);
    expect(tokens.verifyOpen(open)).toBe(D1);
    const click = tokens.clickToken(D1, 'https://shop.example.test/a?b=1');
    expect(tokens.verifyClick(click, 'https://shop.example.test/a?b=1')).toBe(D1);
    expect(tokens.verifyClick(click, 'https://shop.example.test/a?b=2')).toBeNull();
    expect(tokens.verifyClick(open, 'https://shop.example.test/a?b=1')).toBeNull();
    expect(tokens.verifyOpen(click)).toBeNull();
  });

  it('refuses a token moved to another delivery, another key, or altered in any character', () => {
    const open = tokens.openToken(D1);
    const moved = tokens.openToken(D2).slice(0, 22) + open.slice(22);
    expect(tokens.verifyOpen(moved)).toBeNull();
    expect(createTrackingTokens('another-secret-key-0123456789abcdefghij').verifyOpen(open)).toBeNull();
    for (let i = 0; i < open.length; i++) {
      const altered = open.slice(0, i) + (open[i] === 'A' ? 'B' : 'A') + open.slice(i + 1);
      expect(tokens.verifyOpen(altered)).toBeNull();
    }
    for (const junk of ['', 'x', `${open}A`, open.slice(1), '../../etc/passwd']) expect(tokens.verifyOpen(junk)).toBeNull();
  });
});

describe('tracked e-mail HTML', () => {
  it('escapes the text, keeps line breaks, links URLs (without trailing punctuation) and ends with the pixel', () => {
    const html = emailHtml('Hi <Ann> & co,\nsee https://x.test/a?b=1&c=2. Or (https://y.test/)', {
      pixelUrl: 'https://sb.test/t/o/TOKEN.gif', clickUrl: null,
    });
    expect(html).toContain('Hi &lt;Ann&gt; &amp; co,<br>\nsee <a href="https://x.test/a?b=1&amp;c=2">https://x.test/a?b=1&amp;c=2</a>. Or (<a href="https://y.test/">https://y.test/</a>)');
    expect(html).toMatch(/<img src="https:\/\/sb\.test\/t\/o\/TOKEN\.gif" width="1" height="1" alt="" [^>]*><\/body><\/html>\n$/);
  });

  it('points links at the click URL when clicks are tracked, and has no pixel when opens are not', () => {
    const html = emailHtml('Go: https://x.test/"onmouseover="alert(1)', { pixelUrl: null, clickUrl: (u) => `https://sb.test/t/c/T?u=${encodeURIComponent(u)}` });
    expect(html).toContain('<a href="https://sb.test/t/c/T?u=https%3A%2F%2Fx.test%2F">https://x.test/</a>&quot;onmouseover=&quot;alert(1)');
    expect(html).not.toContain('<img');
  });
});

describe('machine opens', () => {
  it('recognises image proxies and prefetches; a person in a mail client is not a machine', () => {
    expect(detectMachine({ userAgent: 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', ip: '66.249.84.1' }, 3600))
      .toEqual({ machine: true, reason: 'google_image_proxy' });
    expect(detectMachine({ userAgent: 'Mozilla/5.0', ip: '104.28.1.1' }, 2)).toEqual({ machine: true, reason: 'apple_mail_privacy_protection' });
    expect(detectMachine({ userAgent: 'Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15', ip: '17.58.1.2' }, 100)).toMatchObject({ machine: true });
    expect(detectMachine({ userAgent: 'Some-Prefetch-Proxy/2', ip: '203.0.113.9' }, 3)).toEqual({ machine: true, reason: 'prefetch_after_send' });
    expect(detectMachine({ userAgent: 'Some-Prefetch-Proxy/2', ip: '203.0.113.9' }, 3600)).toEqual({ machine: false, reason: null });
    expect(detectMachine({ userAgent: 'Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile', ip: '203.0.113.9' }, 5)).toEqual({ machine: false, reason: null });
  });
});

describe('sequence condition email_opened', () => {
  const open = (deliveryId: string, machineOpen = false): Signal => ({ kind: 'email_opened', eventType: 'email.opened', data: { deliveryId, machineOpen }, at: new Date() });

  it('matches an open of the step\'s own e-mail only, and a machine open only when not ignored', () => {
    const cond = { type: 'email_opened' as const, ignoreMachineOpens: false };
    expect(signalMatches(cond, open(D1), { emailDeliveries: [D1] })).toBe(true);
    expect(signalMatches(cond, open(D2), { emailDeliveries: [D1] })).toBe(false);
    expect(signalMatches(cond, open(D1), {})).toBe(false);
    expect(signalMatches(cond, open(D1, true), { emailDeliveries: [D1] })).toBe(true);
    expect(signalMatches({ ...cond, ignoreMachineOpens: true }, open(D1, true), { emailDeliveries: [D1] })).toBe(false);
    expect(signalMatches({ type: 'email_clicked', ignoreMachineOpens: false }, open(D1), { emailDeliveries: [D1] })).toBe(false);
  });
});

describe('mail catcher (quick start)', () => {
  it('shows the text part of a tracked e-mail (multipart/alternative), not its raw MIME', async () => {
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const text = 'Water rising at Elm St — évacuez.\nMap: https://sb.test/a/Ab3dE5gH7k';
    const info = await transport.sendMail({
      from: 'alerts@sb.test', to: 'ann@example.test', subject: 'Évacuation', text, html: emailHtml(text, { pixelUrl: 'https://sb.test/t/o/T.gif', clickUrl: null }),
    });
    expect(parseMessage((info.message as Buffer).toString('utf8'))).toMatchObject({ subject: 'Évacuation', text });
  });
});
