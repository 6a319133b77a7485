import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseVoiceParams, voiceParams } from '../../routes/webhooks/twilio/params.js';

/** The hot route's zod-free fast path must accept and refuse exactly what the schema does. */
const viaZod = (body: unknown) => {
  try {
    return { ok: parse(voiceParams, body) };
  } catch (err) {
    return { err: (err as Error & { details?: unknown }).details ?? String(err) };
  }
};
const viaFast = (body: unknown) => {
  try {
    return { ok: parseVoiceParams(body) };
  } catch (err) {
    return { err: (err as Error & { details?: unknown }).details ?? String(err) };
  }
};

const sid = `CA${'a1'.repeat(16)}`;

describe('parseVoiceParams', () => {
  it.each([
    { CallSid: sid, From: '+13125550100', To: '+13125550000', AccountSid: 'AC1', CallStatus: 'ringing' },
    { CallSid: sid, To: ' +13125550000 ' },
    { CallSid: sid, From: ' anonymous ', To: '+1' },
    { CallSid: sid, From: '', To: '+1' },
    { CallSid: sid, To: '   ' },
    { CallSid: sid, To: 'x'.repeat(65) },
    { CallSid: sid, From: 'x'.repeat(65), To: '+1' },
    { CallSid: `${sid}0`, To: '+1' },
    { CallSid: 'CA123', To: '+1' },
    { CallSid: [sid, sid], To: '+1' },
    { CallSid: sid, From: ['a', 'b'], To: '+1' },
    { CallSid: sid },
    {},
    null,
    undefined,
  ])('same as the schema: %j', (body) => {
    expect(viaFast(body)).toEqual(viaZod(body));
  });

  it('same as the schema for arbitrary form bodies', () => {
    const str = fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom(sid, ` ${sid}`, '+13125550000', ' ', ''));
    fc.assert(fc.property(fc.record({ CallSid: fc.option(str, { nil: undefined }), From: fc.option(str, { nil: undefined }), To: fc.option(str, { nil: undefined }) }), (body) => {
      expect(viaFast(body)).toEqual(viaZod(body));
    }), { numRuns: 2000 });
  });
});
