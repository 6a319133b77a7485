import { z } from 'zod';
import { E164_HINT, normalizePhone } from '../contacts/phone.js';

/**
 * Call-tracking settings of a `tracking` line (docs/CALL-TRACKING.md). Loose: unknown keys are
 * kept; the keys below are always checked.
 */
export const trackingSettingsSchema = z
  .object({
    /** The marketing source / campaign this number stands for (default: the line's name). */
    source: z.string().trim().min(1, 'may not be empty').max(200).optional(),
    /** Where tracked calls are forwarded: one number, or several (1–10) rung in order or together. */
    forwardTo: z.union([z.string().max(40), z.array(z.string().max(40)).max(10, 'at most 10 numbers')], {
      error: 'must be a phone number in international format, or a list of them',
    }).transform((v, ctx) => {
      const list = typeof v === 'string' ? [v] : v;
      if (list.length === 0) ctx.addIssue({ code: 'custom', message: 'give at least one number' });
      const out = list.map((raw, i) => {
        const n = normalizePhone(raw);
        if (!n) ctx.addIssue({ code: 'custom', message: E164_HINT, path: typeof v === 'string' ? [] : [i] });
        return n ?? raw;
      });
      if (new Set(out).size !== out.length) ctx.addIssue({ code: 'custom', message: 'numbers repeat' });
      return typeof v === 'string' ? out[0]! : out;
    }).optional(),
    /** 'sequential': one number after another; 'simultaneous': all at once, first to answer wins. */
    ringStrategy: z.enum(['sequential', 'simultaneous'], { error: 'must be sequential or simultaneous' }).optional(),
    /** Seconds to ring (each number, when sequential) before the call counts as missed. */
    ringTimeoutSeconds: z.number().int().min(5).max(120).optional(),
    /** Record the conversation (from answer); the recording URL is kept on the call. */
    record: z.boolean().optional(),
    /** Spoken to the person answering before the caller is connected. */
    whisper: z.string().trim().max(500).optional(),
  })
  .loose();

export type TrackingSettings = z.infer<typeof trackingSettingsSchema>;

const PACE_HINT = (what: string, key: string) =>
  `Outbound ${what} per second from this line, held across all worker processes. Unset: the server's ${key} (default 0 = no limit); null on update removes the line's own limit.`;

/** Per-line settings (`lines.settings`). Unknown top-level keys are refused so typos surface. */
export const lineSettingsSchema = z
  .object({
    /** Only contacts of the account may activate workflows by calling or texting this line. */
    knownContactsOnly: z.boolean().optional(),
    /**
     * Outbound pace from this line, held across every worker process (one send schedule per line
     * in Redis). Unset (or null on update): DEFAULT_SMS_PER_SECOND / DEFAULT_CALLS_PER_SECOND,
     * which are 0 = no limit unless configured. A Twilio long code takes about 1 SMS per second.
     */
    smsPerSecond: z.number().min(0.1, 'must be at least 0.1').max(1000, 'must be at most 1000').nullable().optional()
      .describe(`${PACE_HINT('texts', 'DEFAULT_SMS_PER_SECOND')} A Twilio long code takes about 1 text per second: set 1 for such a number.`),
    callsPerSecond: z.number().min(0.1, 'must be at least 0.1').max(100, 'must be at most 100').nullable().optional()
      .describe(PACE_HINT('calls (notification, conference, pager)', 'DEFAULT_CALLS_PER_SECOND')),
    tracking: trackingSettingsSchema.optional(),
  })
  .strict();

export type LineSettings = z.infer<typeof lineSettingsSchema>;
