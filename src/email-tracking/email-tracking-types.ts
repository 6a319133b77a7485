import { z } from 'zod';

/**
 * E-mail open and click tracking (docs/CHANNELS.md "E-mail open and click tracking"). Off by default per
 * account; `accounts.settings.emailTracking = { opens, clicks }` turns each part on.
 *
 * - opens: the e-mail gets an HTML part (built from its text) ending in a 1×1 transparent GIF at
 *   `PUBLIC_URL/t/o/<token>.gif`. A client that shows only the plain-text part, or blocks remote
 *   images, never fetches it: such an e-mail cannot report an open.
 * - clicks: every http(s) link of the HTML part points at `PUBLIC_URL/t/c/<token>?u=<url>`, which
 *   records the click and redirects (302) to the signed URL — never to any other.
 *
 * The first open raises `email.opened`, the first click `email.clicked` (once per delivery);
 * later ones are counted on the `email_tracking` row, not raised again.
 */
export const emailTrackingSettingSchema = z.object({
  opens: z.boolean({ error: 'must be true or false' }),
  clicks: z.boolean({ error: 'must be true or false' }),
}, { error: 'must be { opens: boolean, clicks: boolean } or null' }).strict().nullable();

export type EmailTrackingSetting = { opens: boolean; clicks: boolean };

/** The account's tracking switches; anything unset or malformed is off. */
export const emailTrackingFromSettings = (settings: Record<string, unknown> | null | undefined): EmailTrackingSetting => {
  const v = settings?.emailTracking as Partial<EmailTrackingSetting> | null | undefined;
  return { opens: v?.opens === true, clicks: v?.clicks === true };
};

/** The HTTP request that fetched a pixel or followed a link, as far as tracking needs it. */
export type TrackingRequest = { userAgent: string | null; ip: string | null };

/** What the first open/click of a delivery raises: `email.opened` / `email.clicked` data. */
export type EmailTrackingEventData = {
  deliveryId: string;
  activationId: string;
  workflowId: string;
  actionId: string;
  address: string | null;
  sequenceId?: string;
  stepId?: string;
  /** The open looked automated (image proxy prefetch): see machine-opens.ts. */
  machineOpen?: boolean;
  machineClick?: boolean;
  machineReason?: string | null;
  url?: string;
  userAgent: string | null;
};
