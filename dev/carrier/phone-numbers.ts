/**
 * The emulated account's phone numbers and Messaging Services, as Twilio's 2010-04-01 API has
 * them (see ../shared/twilio/twilio_api_v2010.json, `api.v2010.account.incoming_phone_number`):
 *
 * - GET  /2010-04-01/Accounts/{Sid}/IncomingPhoneNumbers.json[?PhoneNumber=…&FriendlyName=…]
 *   (PhoneNumber matches partial numbers, `*` for any digit; paged like every list)
 * - GET  /2010-04-01/Accounts/{Sid}/IncomingPhoneNumbers/{PN…}.json
 * - POST /2010-04-01/Accounts/{Sid}/IncomingPhoneNumbers/{PN…}.json (VoiceUrl, VoiceMethod,
 *   SmsUrl, SmsMethod, StatusCallback, StatusCallbackMethod, VoiceApplicationSid, SmsApplicationSid,
 *   TrunkSid, FriendlyName; an empty value clears the field)
 *
 * Messaging Services have a sender pool: `pickSender` chooses the number a message sent with
 * MessagingServiceSid leaves from (sticky per recipient, as Twilio's Sticky Sender).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fakeSid } from '../../routes/softphone/call-player.js';
import { defaultErrorMessage, errorJson, listPage, rfc2822 } from './twilio-shapes.js';

export type EmulatedNumber = {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  voiceUrl: string | null;
  voiceMethod: string;
  smsUrl: string | null;
  smsMethod: string;
  statusCallback: string | null;
  statusCallbackMethod: string;
  voiceApplicationSid: string | null;
  smsApplicationSid: string | null;
  trunkSid: string | null;
  dateCreated: Date;
  dateUpdated: Date;
};

export type NumberInput = Partial<Omit<EmulatedNumber, 'sid' | 'accountSid' | 'dateCreated' | 'dateUpdated'>> & { phoneNumber: string };

export const numberJson = (n: EmulatedNumber) => ({
  account_sid: n.accountSid, address_requirements: 'none', address_sid: null, api_version: '2010-04-01', beta: false,
  capabilities: { voice: true, sms: true, mms: true, fax: false },
  date_created: rfc2822(n.dateCreated), date_updated: rfc2822(n.dateUpdated),
  emergency_status: 'Inactive', emergency_address_sid: null, emergency_address_status: 'unregistered',
  friendly_name: n.friendlyName, identity_sid: null, origin: 'twilio', phone_number: n.phoneNumber, sid: n.sid,
  sms_application_sid: n.smsApplicationSid ?? '', sms_fallback_method: 'POST', sms_fallback_url: '', sms_method: n.smsMethod, sms_url: n.smsUrl ?? '',
  status_callback: n.statusCallback ?? '', status_callback_method: n.statusCallbackMethod, trunk_sid: n.trunkSid,
  uri: `/2010-04-01/Accounts/${n.accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
  voice_receive_mode: 'voice', voice_application_sid: n.voiceApplicationSid ?? '', voice_caller_id_lookup: false,
  voice_fallback_method: 'POST', voice_fallback_url: null, voice_method: n.voiceMethod, voice_url: n.voiceUrl ?? '',
  bundle_sid: null, status: 'in-use', type: 'local',
});

/** PhoneNumber filter: a partial number, `*` standing for any one digit. */
const matchesNumber = (filter: string, n: string) => {
  const re = new RegExp(filter.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '\\d'));
  return re.test(n);
};

const FIELDS: Array<[string, keyof EmulatedNumber]> = [
  ['VoiceUrl', 'voiceUrl'], ['VoiceMethod', 'voiceMethod'], ['SmsUrl', 'smsUrl'], ['SmsMethod', 'smsMethod'],
  ['StatusCallback', 'statusCallback'], ['StatusCallbackMethod', 'statusCallbackMethod'], ['VoiceApplicationSid', 'voiceApplicationSid'],
  ['SmsApplicationSid', 'smsApplicationSid'], ['TrunkSid', 'trunkSid'], ['FriendlyName', 'friendlyName'],
];

export type PhoneNumbersState = ReturnType<typeof createPhoneNumbers>;

export const createPhoneNumbers = (accountSid: string) => {
  const numbers: EmulatedNumber[] = [];
  const services = new Map<string, string[]>();
  return {
    numbers,
    services,
    add(input: NumberInput): EmulatedNumber {
      const now = new Date();
      const n: EmulatedNumber = {
        sid: fakeSid('PN'), accountSid, friendlyName: input.phoneNumber, voiceUrl: null, voiceMethod: 'POST', smsUrl: null, smsMethod: 'POST',
        statusCallback: null, statusCallbackMethod: 'POST', voiceApplicationSid: null, smsApplicationSid: null, trunkSid: null,
        ...input, dateCreated: now, dateUpdated: now,
      };
      numbers.push(n);
      return n;
    },
    addMessagingService(sid: string, senders: string[]) {
      services.set(sid, [...senders]);
    },
    /** The sender for `to` from the service's pool; an error (Twilio's code) when there is none. */
    pickSender(serviceSid: string, to: string): { from: string } | { error: number } {
      const pool = services.get(serviceSid);
      if (!pool) return { error: 21701 };
      if (pool.length === 0) return { error: 21704 };
      const h = [...to].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7);
      return { from: pool[h % pool.length]! };
    },
    reset() {
      numbers.length = 0;
      services.clear();
    },
    routes(app: FastifyInstance, base: string, authorise: (req: FastifyRequest<{ Params: { sid: string } }>, reply: FastifyReply) => boolean) {
      type P = { Params: { sid: string; id: string } };
      const find = (id: string) => numbers.find((x) => `${x.sid}.json` === id);
      app.get<P>(`${base}/IncomingPhoneNumbers.json`, async (req, reply) => {
        if (!authorise(req, reply)) return reply;
        const q = req.query as Record<string, string>;
        const found = numbers.filter((n) => (!q.PhoneNumber || matchesNumber(q.PhoneNumber, n.phoneNumber)) && (!q.FriendlyName || n.friendlyName === q.FriendlyName));
        return listPage(req.url, q, found.map(numberJson), 'incoming_phone_numbers');
      });
      app.get<P>(`${base}/IncomingPhoneNumbers/:id`, async (req, reply) => {
        if (!authorise(req, reply)) return reply;
        const n = find(req.params.id);
        return n ? numberJson(n) : reply.status(404).send(errorJson(404, 20404, defaultErrorMessage(20404)));
      });
      app.post<P>(`${base}/IncomingPhoneNumbers/:id`, async (req, reply) => {
        if (!authorise(req, reply)) return reply;
        const n = find(req.params.id);
        if (!n) return reply.status(404).send(errorJson(404, 20404, defaultErrorMessage(20404)));
        const b = (req.body ?? {}) as Record<string, unknown>;
        for (const [param, key] of FIELDS) {
          const v = b[param];
          if (typeof v !== 'string') continue;
          if (key.endsWith('Method')) {
            if (!['GET', 'POST'].includes(v.toUpperCase())) return reply.status(400).send(errorJson(400, 21219, `${param} is not valid`));
            (n as Record<string, unknown>)[key] = v.toUpperCase();
          } else {
            (n as Record<string, unknown>)[key] = v === '' ? null : v;
          }
        }
        // Twilio: setting a voice application removes the SIP trunk and the other way round.
        if (typeof b.VoiceApplicationSid === 'string' && b.VoiceApplicationSid) n.trunkSid = null;
        if (typeof b.TrunkSid === 'string' && b.TrunkSid) n.voiceApplicationSid = null;
        n.dateUpdated = new Date();
        return numberJson(n);
      });
    },
  };
};
