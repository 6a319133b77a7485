import { describe, expect, it } from 'vitest';
import { describeFailure, failureWords } from '../../src/engine/failure-reasons.js';

describe('describeFailure (the words the activation API and the live feed both send)', () => {
  it('words a carrier code and keeps the code beside them', () => {
    expect(describeFailure({ status: 'failed', skipReason: null, errorCode: '30003' })).toEqual({ failureReason: 'Unreachable destination handset', failureCode: '30003' });
    expect(describeFailure({ status: 'failed', skipReason: null, errorCode: '21610' }).failureReason).toBe('Recipient has unsubscribed (replied STOP)');
  });

  it('words the engine\'s own codes and skip reasons', () => {
    expect(describeFailure({ status: 'failed', skipReason: null, errorCode: 'send_in_doubt' }).failureReason).toBe('Not sent again: it may already have gone out');
    expect(describeFailure({ status: 'skipped', skipReason: 'opted_out_sms', errorCode: null })).toEqual({ failureReason: 'Opted out of texts', failureCode: 'opted_out_sms' });
    expect(describeFailure({ status: 'failed', skipReason: null, errorCode: 'http_503' }).failureReason).toBe('Webhook answered HTTP 503');
    expect(describeFailure({ status: 'failed', skipReason: null, errorCode: 'smtp_550' }).failureReason).toBe('Mail server answered 550');
  });

  it('never returns a bare code: unknown ones still get words', () => {
    expect(failureWords('21999')).toBe('Carrier error');
    expect(failureWords('some_new_code')).toBe('Some new code');
    expect(failureWords('toString')).toBe('Tostring'); // not an inherited property's value
  });

  it('describes nothing for a delivery that has not failed (a retry\'s error on a pending one included)', () => {
    expect(describeFailure({ status: 'delivered', skipReason: null, errorCode: null })).toEqual({ failureReason: null, failureCode: null });
    expect(describeFailure({ status: 'pending', skipReason: null, errorCode: '20429' })).toEqual({ failureReason: null, failureCode: null });
    expect(describeFailure({ status: 'busy', skipReason: null, errorCode: null })).toEqual({ failureReason: null, failureCode: null });
  });
});
