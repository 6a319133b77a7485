import { describe, expect, it } from 'vitest';
import * as ivr from '../../ivr/activation-line.js';
import { messagingResponse, activatedText } from '../../ivr/sms-replies.js';

const H = '<?xml version="1.0" encoding="UTF-8"?>';
const urls: ivr.IvrUrls = {
  code: (n) => `https://sb.example/webhooks/twilio/voice/code?attempt=${n}`,
  recording: (id) => `https://sb.example/webhooks/twilio/voice/recording?workflow=${id}`,
};
const gather = (n: number, says: string[]) =>
  `<Gather input="dtmf" numDigits="4" timeout="8" action="https://sb.example/webhooks/twilio/voice/code?attempt=${n}" method="POST">` +
  says.map((s) => `<Say>${s}</Say>`).join('') +
  `</Gather><Redirect method="POST">https://sb.example/webhooks/twilio/voice/code?attempt=${n}</Redirect>`;

describe('activation line TwiML (golden)', () => {
  it('greets and gathers 4 keys, redirecting to the code step when no key is pressed', () => {
    expect(ivr.greeting({ greeting: 'Welcome to Acme Rescue.', urls })).toBe(`${H}<Response>${gather(1, ['Welcome to Acme Rescue.'])}</Response>`);
  });

  it('escapes caller- and admin-provided text', () => {
    expect(ivr.greeting({ greeting: 'A & B <Ops> "line"', urls })).toBe(`${H}<Response>${gather(1, ['A &amp; B &lt;Ops&gt; "line"'])}</Response>`);
    expect(ivr.activated({ workflowName: 'Fire <Bay> & Dock', recipients: 2 }))
      .toBe(`${H}<Response><Say>Fire &lt;Bay&gt; &amp; Dock has been activated. Reaching 2 people. Goodbye.</Say><Hangup/></Response>`);
  });

  it('asks again after a wrong code or no input, and says goodbye after the third try', () => {
    expect(ivr.codeRetry({ urls, attempt: 1 }, { reason: 'wrong' }))
      .toBe(`${H}<Response>${gather(2, ['That code was not accepted.', 'Please enter your four character code.'])}</Response>`);
    expect(ivr.codeRetry({ urls, attempt: 2 }, { reason: 'no-input' }))
      .toBe(`${H}<Response>${gather(3, ['We did not receive a code.', 'Please enter your four character code.'])}</Response>`);
    expect(ivr.codeRetry({ urls, attempt: 3 }, { reason: 'wrong' }))
      .toBe(`${H}<Response><Say>That code was not accepted. Sorry, we could not accept your code. Goodbye.</Say><Hangup/></Response>`);
  });

  it('records a voice message with a beep and a maximum length, then continues without one on silence', () => {
    const id = '7d0f5b8e-2c1a-4a57-9d55-0b7f6f7c9a11';
    expect(ivr.recordMessage({ urls, workflowId: id, maxLengthSeconds: 45 })).toBe(
      `${H}<Response><Say>Please leave your message after the beep. Press the pound key when you are done.</Say>` +
      `<Record action="https://sb.example/webhooks/twilio/voice/recording?workflow=${id}" method="POST" maxLength="45" playBeep="true" finishOnKey="#" timeout="5"/>` +
      `<Redirect method="POST">https://sb.example/webhooks/twilio/voice/recording?workflow=${id}</Redirect></Response>`,
    );
  });

  it('announces the activation (singular and plural) and hangs up', () => {
    expect(ivr.activated({ workflowName: 'Gate Emergency', recipients: 1 }))
      .toBe(`${H}<Response><Say>Gate Emergency has been activated. Reaching 1 person. Goodbye.</Say><Hangup/></Response>`);
    expect(ivr.activated({ workflowName: 'Gate Emergency', recipients: 0 }))
      .toBe(`${H}<Response><Say>Gate Emergency has been activated. Reaching 0 people. Goodbye.</Say><Hangup/></Response>`);
  });

  it('speaks and hangs up for unknown lines, withheld callers, strangers, unconfigured tracking lines and failures', () => {
    const said = (t: string) => `${H}<Response><Say>${t}</Say><Hangup/></Response>`;
    expect(ivr.unknownLine()).toBe(said('Sorry, this number is not in service. Goodbye.'));
    expect(ivr.withheldCaller()).toBe(said('Sorry, this line cannot take calls from a withheld number. Goodbye.'));
    expect(ivr.notAllowed()).toBe(said('Sorry, this line only accepts calls from registered contacts. Goodbye.'));
    expect(ivr.trackingNotConfigured()).toBe(said('Sorry, this line is not configured yet. Goodbye.'));
    expect(ivr.apology()).toBe(said('Sorry, we are having a technical problem. Please try again in a few minutes. Goodbye.'));
  });
});

describe('SMS reply TwiML (golden)', () => {
  it('wraps a reply in <Message>, escaped, or answers an empty <Response/>', () => {
    expect(messagingResponse(activatedText('Gate <4> & co', 3))).toBe(`${H}<Response><Message>Gate &lt;4&gt; &amp; co activated. Reaching 3 people.</Message></Response>`);
    expect(messagingResponse(null)).toBe(`${H}<Response/>`);
  });
});
