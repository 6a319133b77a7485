import { describe, expect, it } from 'vitest';
import { callbackAgentCall, callbackDialEnded, callbackRefused } from '../../ivr/callback-twiml.js';
import { callableAt } from '../../src/rules/callback-timing.js';

const H = '<?xml version="1.0" encoding="UTF-8"?>';

describe('callback TwiML (agent first)', () => {
  it('whisper to the agent, then <Dial> the contact with the line as caller ID; text escaped', () => {
    expect(callbackAgentCall({ whisper: 'Call <Ann> & "Co"', contactNumber: '+14155550111', callerId: '+14155550100', dialActionUrl: 'https://sb.example/d?delivery=1&x=2' }))
      .toBe(`${H}<Response><Say>Call &lt;Ann&gt; &amp; "Co"</Say><Dial callerId="+14155550100" timeout="30" action="https://sb.example/d?delivery=1&amp;x=2" method="POST"><Number>+14155550111</Number></Dial></Response>`);
  });
  it('after the Dial: hang up, saying why when the contact was not reached; refused', () => {
    expect(callbackDialEnded('completed')).toBe(`${H}<Response><Hangup/></Response>`);
    expect(callbackDialEnded('no_answer')).toBe(`${H}<Response><Say>The contact did not answer. Goodbye.</Say><Hangup/></Response>`);
    expect(callbackDialEnded('busy')).toBe(`${H}<Response><Say>The contact is busy. Goodbye.</Say><Hangup/></Response>`);
    expect(callbackRefused()).toBe(`${H}<Response><Say>This callback is no longer needed. Goodbye.</Say><Hangup/></Response>`);
  });
});

describe('callableAt: schedule window and quiet hours', () => {
  const base = { settings: {}, accountZone: 'America/New_York', contactZone: null };
  it('inside the window and outside quiet hours: unchanged', () => {
    const at = new Date('2025-01-06T15:00:00Z'); // 10:00 New York
    expect(callableAt(at, { ...base, window: '9-5' })).toEqual({ at, reason: null });
  });
  it('before the window opens: moved to its opening in the account zone', () => {
    expect(callableAt(new Date('2025-01-06T12:00:00Z'), { ...base, window: '9-5' })).toEqual({ at: new Date('2025-01-06T14:00:00Z'), reason: 'outside_window' });
  });
  it('in quiet hours (contact zone first, crossing midnight): moved to their end', () => {
    const settings = { quietHours: { start: '21:00', end: '08:00' } };
    // 23:30 in Los Angeles = 07:30Z next day; quiet until 08:00 Los Angeles = 16:00Z.
    expect(callableAt(new Date('2025-01-07T07:30:00Z'), { ...base, settings, contactZone: 'America/Los_Angeles', window: 'always' }))
      .toEqual({ at: new Date('2025-01-07T16:00:00Z'), reason: 'quiet_hours' });
  });
  it('quiet hours end before the window opens: both apply', () => {
    const settings = { quietHours: { start: '22:00', end: '07:00' } };
    expect(callableAt(new Date('2025-01-07T04:00:00Z'), { ...base, settings, window: '9-5' })) // 23:00 New York
      .toEqual({ at: new Date('2025-01-07T14:00:00Z'), reason: 'outside_window' });
  });
});
