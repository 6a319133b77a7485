import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';

/** NANP numbers reserved for fiction (NXX-555-0100..0199): accepted for demos and the simulator. */
const FICTIONAL = /^\+1[2-9]\d{2}55501\d{2}$/;

export const E164_HINT = 'must be a phone number in international format, such as +14155552671';

/**
 * Normalises a phone number typed in international format (`+1 (415) 555-2671`) to E.164
 * (`+14155552671`); null when it is not a valid number for its country (libphonenumber-js).
 */
export const normalizePhone = (raw: string): string | null => {
  const s = raw.trim();
  if (!s.startsWith('+')) return null;
  const parsed = parsePhoneNumberFromString(s);
  if (!parsed) return null;
  if (parsed.isValid()) return parsed.number;
  return FICTIONAL.test(parsed.number) ? parsed.number : null;
};

/** A zod string that must be a valid phone number; outputs E.164. */
export const e164Phone = () =>
  z.string().max(40).transform((v, ctx) => {
    const n = normalizePhone(v);
    if (!n) {
      ctx.addIssue({ code: 'custom', message: E164_HINT });
      return z.NEVER;
    }
    return n;
  });
