/**
 * Dynamic Number Insertion (docs/CALL-TRACKING.md "Website numbers"): number pools per
 * source, the account's DNI settings, and what the snippet tells about a visitor.
 */
import { z } from 'zod';

export const CLICK_ID_TYPES = ['gclid', 'fbclid', 'msclkid'] as const;
export type ClickIdType = (typeof CLICK_ID_TYPES)[number];

const host = z.string().trim().toLowerCase().min(1, 'may not be empty').max(253)
  .regex(/^[a-z0-9.-]+$/, 'must be a host name such as google.com');

/**
 * A pool: the tracking lines whose numbers visitors of `source` are shown. A visitor matches a
 * pool by `utm_source` (case-insensitive; default: the source's own name), then by click id
 * type, then by referrer host (the host or any of its subdomains). The `default` pool (at most
 * one per account: organic / direct) takes every visitor no other pool matches.
 */
export const dniPoolInputSchema = z.object({
  source: z.string().trim().min(1, 'may not be empty').max(200),
  default: z.boolean().default(false),
  lineIds: z.array(z.uuid({ error: 'must be a UUID' })).min(1, 'give at least one tracking line').max(50, 'at most 50 lines')
    .refine((ids) => new Set(ids).size === ids.length, 'lines repeat'),
  match: z.object({
    utmSources: z.array(z.string().trim().toLowerCase().min(1, 'may not be empty').max(200)).max(20).optional(),
    clickIds: z.array(z.enum(CLICK_ID_TYPES, { error: 'must be gclid, fbclid or msclkid' })).max(3).default([]),
    referrerHosts: z.array(host).max(20).default([]),
  }).strict().default({ clickIds: [], referrerHosts: [] }),
}).strict();

export type DniPoolInput = z.infer<typeof dniPoolInputSchema>;
export type DniMatch = { utmSources: string[]; clickIds: ClickIdType[]; referrerHosts: string[] };

export type DniPool = {
  id: string;
  source: string;
  default: boolean;
  match: DniMatch;
  lines: Array<{ id: string; phoneNumber: string; name: string }>;
  createdAt: Date;
  updatedAt: Date;
};

const origin = z.string().trim().max(200).transform((v, ctx) => {
  let u: URL | null = null;
  try {
    u = new URL(v);
  } catch {
    u = null;
  }
  if (!u || !/^https?:$/.test(u.protocol) || u.origin !== v.replace(/\/$/, '').toLowerCase()) {
    ctx.addIssue({ code: 'custom', message: 'must be a web origin such as https://www.example.com (no path)' });
    return z.NEVER;
  }
  return u.origin;
});

/** The account's DNI settings: which sites may ask for numbers, and how long a visitor keeps one. */
export const dniSettingsInputSchema = z.object({
  allowedOrigins: z.array(origin).max(20, 'at most 20 origins').default([]),
  sessionMinutes: z.number({ error: 'must be a number of minutes' }).int('must be a whole number').min(5).max(1440).default(30),
}).strict();

export type DniSettingsInput = z.infer<typeof dniSettingsInputSchema>;
export type DniSettings = { accountId: string; publicKey: string; allowedOrigins: string[]; sessionMinutes: number };

/** What the snippet reports of a page view (query of `GET /dni/number`). */
export const visitQuerySchema = z.object({
  key: z.string({ error: 'is required' }).min(1).max(100),
  visitor: z.string().max(200).optional(),
  utm_source: z.string().trim().max(200).optional(),
  utm_medium: z.string().trim().max(200).optional(),
  utm_campaign: z.string().trim().max(200).optional(),
  referrer: z.string().trim().toLowerCase().max(253).optional(),
  gclid: z.string().max(500).optional(),
  fbclid: z.string().max(500).optional(),
  msclkid: z.string().max(500).optional(),
  page: z.string().max(2000).optional(),
});
export type VisitQuery = z.infer<typeof visitQuerySchema>;

/** A visit as the number service reads it. */
export type Visit = {
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  referrerHost: string | null;
  clickIdType: ClickIdType | null;
  clickId: string | null;
  landingPage: string | null;
};

/** What a tracked call keeps of the session it was attributed to (`visitor` in the calls API). */
export type VisitorData = Visit & { visitorId: string; assignmentId: string; assignedAt: string; reused: boolean };
