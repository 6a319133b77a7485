import { describe, expect, it } from 'vitest';
import { conferenceCall, notificationCall, notificationKeys, pagerCall, pollAnswer, unknownCall } from '../../ivr/outbound-twiml.js';

const X = '<?xml version="1.0" encoding="UTF-8"?>';
const keys = 'https://sb.test/webhooks/twilio/outbound/notify/keys?delivery=d1&attempt=1';
const gatherOpen = (action: string) => `<Gather input="dtmf" numDigits="1" timeout="8" action="${action.replace(/&/g, '&amp;')}" method="POST">`;

describe('outbound call TwiML (golden)', () => {
  it('notification: the message twice, then "press 1", XML-escaped', () => {
    expect(notificationCall({ text: 'Fire at <Dock> & "yard"', keysUrl: keys })).toBe(
      `${X}<Response>${gatherOpen(keys)}<Say>Fire at &lt;Dock&gt; &amp; "yard"</Say><Pause length="1"/><Say>Fire at &lt;Dock&gt; &amp; "yard"</Say>` +
      '<Say>Press 1 to acknowledge this message.</Say></Gather><Say>No acknowledgement was received. Goodbye.</Say><Hangup/></Response>',
    );
  });

  it('key 1 without a poll: acknowledged, goodbye', () => {
    expect(notificationKeys({ digits: '1', attempt: 1, retryUrl: 'r', poll: null })).toBe(
      `${X}<Response><Say>Thank you. Your acknowledgement has been recorded. Goodbye.</Say><Hangup/></Response>`,
    );
  });

  it('key 1 with a poll: acknowledged, then the question and one key per option', () => {
    const pollUrl = 'https://sb.test/webhooks/twilio/outbound/notify/poll?delivery=d1&attempt=1';
    expect(notificationKeys({ digits: '1', attempt: 1, retryUrl: 'r', poll: { question: 'Coming?', options: ['Yes', 'No', 'Late'], pollUrl } })).toBe(
      `${X}<Response><Say>Thank you. Your acknowledgement has been recorded.</Say>${gatherOpen(pollUrl)}<Say>Coming?</Say>` +
      '<Say>For Yes, press 1. For No, press 2. For Late, press 3.</Say></Gather><Say>No answer was received. Goodbye.</Say><Hangup/></Response>',
    );
  });

  it('another key: asks again, then gives up after 3 tries', () => {
    expect(notificationKeys({ digits: '7', attempt: 1, retryUrl: 'https://sb.test/k?attempt=2', poll: null })).toBe(
      `${X}<Response><Say>Sorry, that key is not valid.</Say>${gatherOpen('https://sb.test/k?attempt=2')}<Say>Press 1 to acknowledge this message.</Say></Gather>` +
      '<Say>No acknowledgement was received. Goodbye.</Say><Hangup/></Response>',
    );
    expect(notificationKeys({ digits: '7', attempt: 3, retryUrl: 'x', poll: null })).toBe(`${X}<Response><Say>Goodbye.</Say><Hangup/></Response>`);
  });

  it('poll answers: recorded, closed, invalid (asked again), invalid on the last try', () => {
    const poll = { question: 'Q?', options: ['A', 'B'], retryUrl: 'https://sb.test/p?attempt=2' };
    expect(pollAnswer({ digits: '2', attempt: 1, poll, result: 'recorded' })).toBe(`${X}<Response><Say>Thank you. Your answer, B, has been recorded. Goodbye.</Say><Hangup/></Response>`);
    expect(pollAnswer({ digits: '2', attempt: 1, poll, result: 'closed' })).toBe(`${X}<Response><Say>Sorry, this poll is closed. Goodbye.</Say><Hangup/></Response>`);
    expect(pollAnswer({ digits: '9', attempt: 1, poll, result: 'invalid' })).toBe(
      `${X}<Response><Say>Sorry, that is not one of the options.</Say>${gatherOpen(poll.retryUrl)}<Say>Q?</Say><Say>For A, press 1. For B, press 2.</Say></Gather>` +
      '<Say>No answer was received. Goodbye.</Say><Hangup/></Response>',
    );
    expect(pollAnswer({ digits: '9', attempt: 3, poll, result: 'invalid' })).toBe(`${X}<Response><Say>Goodbye.</Say><Hangup/></Response>`);
  });

  it('conference: intro, then the named conference', () => {
    expect(conferenceCall({ intro: 'Bridge for A&B', conferenceName: 'switchboard-a1-conf' })).toBe(
      `${X}<Response><Say>Bridge for A&amp;B</Say><Dial><Conference startConferenceOnEnter="true" endConferenceOnExit="false" beep="true">switchboard-a1-conf</Conference></Dial></Response>`,
    );
  });

  it('pager: a one-second pause, the digits as DTMF, hang up; anything else never reaches the TwiML', () => {
    expect(pagerCall({ digits: '123w#*' })).toBe(`${X}<Response><Play digits="ww123w#*"/><Hangup/></Response>`);
    expect(pagerCall({ digits: '12"/><Say>x' })).toBe(`${X}<Response><Hangup/></Response>`);
  });

  it('unknown call: a polite goodbye', () => {
    expect(unknownCall()).toBe(`${X}<Response><Say>Sorry, this call could not be connected. Goodbye.</Say><Hangup/></Response>`);
  });
});
