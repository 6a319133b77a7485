/**
 * The activation line, SMS side. For each verified inbound text:
 *   1. find the line (unknown or foreign: ignored, nothing stored) and store the message;
 *   2. keywords (STOP/START/HELP), then every `SmsInterceptor` the composition root lists
 *      (poll answers, sequence replies…): the first that handles it decides the reply;
 *   3. code activation: `RESQ` or `RESQ free text` (any case, surrounding spaces); the text
 *      after the code becomes the activation's inbound message;
 *   4. the reply is stored as an outbound message and returned for the TwiML `<Message>`.
 * A carrier retry (same MessageSid) stores nothing new and activates nothing new.
 * A sender who opted out gets no reply except to START/HELP (the STOP confirmation aside).
 */
import type { ActivationService } from '../engine/activation-service.js';
import type { Db } from '../db/db.js';
import { normaliseCode } from '../workflows/keypad.js';
import { countWorkflowRecipients, findContactIdByPhone, findWorkflowByCode, findWorkflowByDigits } from './codes-repo.js';
import { insertMessage, linkMessageActivation } from './conversation-repo.js';
import { ownsLine } from './inbound-call-service.js';
import type { InboundSms, SmsInterceptor } from './inbound-port.js';
import { findLineByNumber } from './lines-repo.js';
import type { Lockout } from './lockout.js';
import { keywordOf } from './sms-keywords.js';
import { isSmsOptedOut } from './sms-opt-outs-repo.js';

export type InboundText = {
  carrierAccountSid: string;
  providerMessageId: string;
  from: string;
  to: string;
  body: string;
};

/** Words of the replies; the composition root passes ivr/sms-replies.ts. */
export type SmsReplyTexts = {
  unknownCode: string;
  notAllowed: string;
  activated(workflowName: string, recipients: number): string;
};

export type SmsOutcome = {
  reply: string | null;
  /** What happened, for logs and tests. */
  kind: 'ignored' | 'intercepted' | 'activated' | 'unknown-code' | 'not-allowed';
  interceptor?: string;
  activationId?: string;
};

export type InboundSmsServiceDeps = {
  db: Db;
  activations: Pick<ActivationService, 'activate'>;
  lockout: Lockout;
  /** Keywords first, then features' interceptors, in order (read for every message). */
  interceptors: () => readonly SmsInterceptor[];
  texts: SmsReplyTexts;
};

const E164 = /^\+[1-9]\d{6,14}$/;

/** `  resq  Help at gate 4 ` -> { code: 'RESQ', rest: 'Help at gate 4' }; null when not code-shaped. */
export const parseTextedCode = (body: string): { code: string; rest: string | null } | null => {
  const m = /^\s*(\S+)(?:\s+([\s\S]*?))?\s*$/.exec(body);
  const code = m?.[1] ? normaliseCode(m[1]) : null;
  if (!code) return null;
  const rest = m?.[2]?.trim();
  return { code, rest: rest ? rest : null };
};

export const createInboundSmsService = (deps: InboundSmsServiceDeps) => {
  const { db } = deps;

  const handle = async (text: InboundText): Promise<SmsOutcome> => {
    const line = await findLineByNumber(db, text.to);
    // Unknown line, or a sender that cannot be answered (short code, alphanumeric id): ignore.
    if (!line || !ownsLine(line, text.carrierAccountSid) || !E164.test(text.from)) return { reply: null, kind: 'ignored' };
    const contactId = await findContactIdByPhone(db, line.accountId, text.from);
    const stored = await insertMessage(db, {
      accountId: line.accountId, lineId: line.id, contactId, direction: 'inbound', from: text.from, to: text.to,
      body: text.body, providerId: text.providerMessageId, status: 'received',
    });
    const msg: InboundSms = {
      accountId: line.accountId, lineId: line.id, providerId: text.providerMessageId, from: text.from, to: text.to,
      body: text.body, contactId, messageId: stored.id, at: new Date(),
    };

    const outcome = await decide(msg, line.settings.knownContactsOnly === true);
    const keyword = keywordOf(text.body);
    const mayReply = keyword !== null || !(await isSmsOptedOut(db, line.accountId, text.from));
    const reply = mayReply ? outcome.reply : null;
    if (reply && stored.inserted) {
      await insertMessage(db, {
        accountId: line.accountId, lineId: line.id, contactId, direction: 'outbound', from: text.to, to: text.from,
        body: reply, providerId: null, status: 'sent', activationId: outcome.activationId ?? null, meta: { inReplyTo: stored.id },
      });
    }
    return { ...outcome, reply };
  };

  const decide = async (msg: InboundSms, knownOnly: boolean): Promise<SmsOutcome> => {
    for (const i of deps.interceptors()) {
      const r = await i.intercept(msg);
      if (r?.handled) return { kind: 'intercepted', interceptor: i.name, reply: r.reply ?? null };
    }
    const parsed = parseTextedCode(msg.body);
    if (!parsed) return { kind: 'unknown-code', reply: deps.texts.unknownCode };
    const s = { accountId: msg.accountId, lineId: msg.lineId, caller: msg.from };
    if (await deps.lockout.isLocked(s)) return { kind: 'unknown-code', reply: deps.texts.unknownCode };
    const wf = /^\d{4}$/.test(parsed.code)
      ? await findWorkflowByDigits(db, msg.accountId, msg.lineId, parsed.code)
      : await findWorkflowByCode(db, msg.accountId, msg.lineId, parsed.code);
    if (!wf) {
      await deps.lockout.recordMiss(s);
      return { kind: 'unknown-code', reply: deps.texts.unknownCode };
    }
    if (knownOnly && !msg.contactId) return { kind: 'not-allowed', reply: deps.texts.notAllowed };
    const { activation } = await deps.activations.activate({
      accountId: msg.accountId,
      workflowId: wf.id,
      source: 'sms',
      idempotencyKey: `twilio:${msg.providerId}`,
      inboundMessage: parsed.rest,
      context: { caller: msg.from, lineId: msg.lineId, messageId: msg.messageId },
    });
    await linkMessageActivation(db, msg.messageId, activation.id);
    const recipients = await countWorkflowRecipients(db, msg.accountId, wf.id);
    return { kind: 'activated', activationId: activation.id, reply: deps.texts.activated(wf.name, recipients) };
  };

  return { handle };
};

export type InboundSmsService = ReturnType<typeof createInboundSmsService>;
