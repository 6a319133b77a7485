import { z } from 'zod';
import { isValidTimeZone } from '../calendar/schedule-types.js';
import { e164Phone } from './phone.js';

export const contactChannels = ['sms', 'email', 'voice', 'push'] as const;
export type ContactChannel = (typeof contactChannels)[number];

const pagerNumber = z
  .string()
  .transform((v) => v.replace(/[\s().-]/g, ''))
  .pipe(z.string().regex(/^\+?\d{3,20}$/, 'may contain only digits (and a leading +)'));

/** Keys usable as `{{field}}` in messages. */
const customFieldKey = z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'custom field names are 1–64 letters, digits or _');
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/**
 * Any JSON value, as `z.json()`, but registered under an id: a recursive schema must be an OpenAPI
 * component its own `$ref`s can point at (inline, `/docs/json` referred to a component that did not exist).
 */
const jsonValue: z.ZodType<JsonValue> = z
  .lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]))
  .register(z.globalRegistry, { id: 'JsonValue', description: 'Any JSON value' });
const customFields = z
  .record(customFieldKey, jsonValue)
  .refine((v) => Object.keys(v).length <= 100, 'at most 100 custom fields')
  .refine((v) => JSON.stringify(v).length <= 16_384, 'custom fields may total at most 16 KB');

/** Fields of a contact a client may set; `null` clears an optional field. */
export const contactFields = {
  name: z.string().trim().min(1, 'may not be empty').max(200),
  phone: e164Phone().nullish(),
  email: z.string().trim().pipe(z.email({ error: 'must be an e-mail address' }).max(320)).nullish(),
  pagerNumber: pagerNumber.nullish(),
  pushToken: z.string().min(1).max(4096).nullish(),
  timezone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/London').nullish(),
  onDuty: z.boolean(),
  optedOutChannels: z.array(z.enum(contactChannels)).refine((c) => new Set(c).size === c.length, 'channels repeat'),
  doNotContact: z.boolean(),
  status: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'must be 1–40 lower-case letters, digits, _ or -'),
  customFields,
};

export const contactInputSchema = z
  .object({
    ...contactFields,
    onDuty: contactFields.onDuty.optional(),
    optedOutChannels: contactFields.optedOutChannels.optional(),
    doNotContact: contactFields.doNotContact.optional(),
    status: contactFields.status.optional(),
    customFields: contactFields.customFields.optional(),
  })
  .strict();
export type ContactInput = z.infer<typeof contactInputSchema>;

/** PATCH: any subset; `customFields` replaces the stored object as a whole. */
export const contactPatchSchema = contactInputSchema.partial().strict();
export type ContactPatch = z.infer<typeof contactPatchSchema>;

/** One import row: a contact plus the names of groups to add it to (groups must exist). */
export const contactImportRowSchema = contactInputSchema.extend({
  groups: z.array(z.string().trim().min(1).max(200)).max(50).optional(),
});
export type ContactImportRow = z.infer<typeof contactImportRowSchema>;

export type Contact = {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  pagerNumber: string | null;
  pushToken: string | null;
  timezone: string | null;
  onDuty: boolean;
  optedOutChannels: ContactChannel[];
  doNotContact: boolean;
  status: string;
  customFields: Record<string, unknown>;
  groupIds: string[];
  createdAt: Date;
  updatedAt: Date;
};
