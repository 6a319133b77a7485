import { z } from 'zod';
import { e164Phone } from '../contacts/phone.js';

/**
 * Call-tracking settings of a `tracking` line. Loose: the call-tracking feature may add keys
 * (validate them here when it does); the keys below are always checked.
 */
export const trackingSettingsSchema = z
  .object({
    /** Where tracked calls are forwarded. */
    forwardTo: e164Phone().optional(),
    /** Seconds to ring `forwardTo` before the call counts as missed. */
    ringTimeoutSeconds: z.number().int().min(5).max(120).optional(),
    record: z.boolean().optional(),
    /** Spoken to the person answering before the caller is connected. */
    whisper: z.string().trim().max(500).optional(),
  })
  .loose();

/** Per-line settings (`lines.settings`). Unknown top-level keys are refused so typos surface. */
export const lineSettingsSchema = z
  .object({
    /** Only contacts of the account may activate workflows by calling or texting this line. */
    knownContactsOnly: z.boolean().optional(),
    /** Outbound pace from this line (unset: DEFAULT_SMS_PER_SECOND / DEFAULT_CALLS_PER_SECOND); a Twilio long code takes about 1 SMS per second. */
    smsPerSecond: z.number().min(0.1, 'must be at least 0.1').max(1000, 'must be at most 1000').optional(),
    callsPerSecond: z.number().min(0.1, 'must be at least 0.1').max(100, 'must be at most 100').optional(),
    tracking: trackingSettingsSchema.optional(),
  })
  .strict();

export type LineSettings = z.infer<typeof lineSettingsSchema>;
