/**
 * Port: sends one outbound webhook request. Implementations (adapters/webhook) must:
 * - accept `https://` URLs only;
 * - refuse any connection whose address is not public (see `ssrf-policy.ts`), checked on the
 *   address actually connected to — literal IPs, every DNS answer, every redirect hop — unless
 *   the URL's host is listed in `WEBHOOK_ALLOWED_HOSTS`;
 * - follow at most 3 redirects, each re-checked, never downgrading to `http://`, dropping the
 *   Authorization header when a redirect leaves the original origin;
 * - give up after the configured timeout (the whole exchange, redirects included).
 * It never throws for a remote failure: the outcome says what happened.
 */
export type WebhookRequest = {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** A Buffer is sent as is (Web Push's encrypted body). */
  body?: string | Buffer | null;
};

export type WebhookResponse = {
  status: number;
  durationMs: number;
  /** The URL that produced the final response (after redirects). */
  finalUrl: string;
  redirects: number;
  /** The first few KB of the response body, for the delivery log. */
  bodyExcerpt: string;
};

export type WebhookFailureKind = 'refused' | 'invalid_request' | 'timeout' | 'network' | 'tls' | 'too_many_redirects' | 'bad_redirect';

export type WebhookFailure = {
  kind: WebhookFailureKind;
  /** Human-readable, safe to show to the account (never contains the Authorization value). */
  reason: string;
  durationMs: number;
  /** For `network` / `tls`: the socket error code (ECONNREFUSED, CERT_HAS_EXPIRED…). */
  code?: string;
};

export type WebhookOutcome = { ok: true; response: WebhookResponse } | { ok: false; failure: WebhookFailure };

export interface WebhookClient {
  send(req: WebhookRequest): Promise<WebhookOutcome>;
}
