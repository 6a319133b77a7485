import { describe, expect, it } from 'vitest';
import * as ivr from '../../ivr/tracking-dial.js';
import { renderForward, trackingUrls } from '../../routes/webhooks/twilio/tracking-routes.js';

const SID = `CA${'ab'.repeat(16)}`;
const urls = trackingUrls('https://sb.example', SID);
const base: ivr.ForwardState = {
  callerId: '+14155550100', numbers: ['+14155550111', '+14155550122'], strategy: 'sequential', ringTimeoutSeconds: 20, record: false, whisper: false, urls,
};
const H = '<?xml version="1.0" encoding="UTF-8"?>';
const leg = (n: number, number: string, extra = '') =>
  `<Number statusCallback="https://sb.example/webhooks/twilio/tracking/leg?call=${SID}&amp;leg=${n}" statusCallbackEvent="initiated ringing answered completed" statusCallbackMethod="POST"${extra}>${number}</Number>`;
const action = (step: number) => `https://sb.example/webhooks/twilio/tracking/dial?call=${SID}&amp;step=${step}`;

describe('call tracking TwiML (golden)', () => {
  it('sequential: rings the first number alone, caller ID passed through, action names the step', () => {
    expect(ivr.forwardCall(base, 0)).toBe(
      `${H}<Response><Dial callerId="+14155550100" timeout="20" action="${action(0)}" method="POST" answerOnBridge="true">${leg(0, '+14155550111')}</Dial></Response>`,
    );
    expect(ivr.forwardCall(base, 1)).toBe(
      `${H}<Response><Dial callerId="+14155550100" timeout="20" action="${action(1)}" method="POST" answerOnBridge="true">${leg(1, '+14155550122')}</Dial></Response>`,
    );
  });

  it('simultaneous: every number in one Dial; recording and whisper attributes', () => {
    const xml = ivr.forwardCall({ ...base, strategy: 'simultaneous', record: true, whisper: true, ringTimeoutSeconds: 35 }, 0);
    const w = ` url="https://sb.example/webhooks/twilio/tracking/whisper?call=${SID}" method="POST"`;
    expect(xml).toBe(
      `${H}<Response><Dial callerId="+14155550100" timeout="35" action="${action(0)}" method="POST" answerOnBridge="true" record="record-from-answer"`
      + ` recordingStatusCallback="https://sb.example/webhooks/twilio/tracking/recording?call=${SID}" recordingStatusCallbackEvent="completed">`
      + `${leg(0, '+14155550111', w)}${leg(1, '+14155550122', w)}</Dial></Response>`,
    );
  });

  it('withheld caller: no callerId attribute (the carrier shows its default)', () => {
    expect(ivr.forwardCall({ ...base, callerId: null, numbers: ['+14155550111'] })).toBe(
      `${H}<Response><Dial timeout="20" action="${action(0)}" method="POST" answerOnBridge="true">${leg(0, '+14155550111')}</Dial></Response>`,
    );
  });

  it('hang up, whisper, empty, not configured; whisper text is XML-escaped', () => {
    expect(ivr.hangup()).toBe(`${H}<Response><Hangup/></Response>`);
    expect(ivr.whisper('Call from <Spring> & "Co"')).toBe(`${H}<Response><Say>Call from &lt;Spring&gt; &amp; "Co"</Say></Response>`);
    expect(ivr.empty()).toBe(`${H}<Response/>`);
    expect(ivr.notConfigured()).toBe(`${H}<Response><Say>Sorry, this line is not configured yet. Goodbye.</Say><Hangup/></Response>`);
    expect(renderForward('https://sb.example', { kind: 'not-configured' })).toBe(ivr.notConfigured());
    expect(renderForward('https://sb.example', { kind: 'hangup' })).toBe(ivr.hangup());
  });
});
