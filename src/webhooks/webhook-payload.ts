import { render } from '../templates/templates.js';

/** The request a webhook delivery makes; the engine stores it as the delivery's payload. */
export type WebhookRequest = {
  method: 'POST' | 'GET';
  url: string;
  body: string | null;
  authorizationSealed: string | null;
};

/**
 * The webhook action as stored in a workflow version: the Authorization header is kept only
 * sealed (`SecretBox.seal`), never in clear.
 */
export type StoredWebhookAction = {
  id: string;
  type: 'webhook';
  method?: 'GET' | 'POST';
  url: string;
  authorizationSealed?: string | null;
  body?: string | null;
};

/** The `{{fields}}` a webhook body may use. */
export type WebhookFields = {
  workflow_name: string;
  activation_uuid: string;
  recording_url?: string | null;
  inbound_message?: string | null;
  prompt_output?: string | null;
};

/**
 * Renders a webhook action for one activation. Every `{{field}}` and `[[placeholder]]` value is
 * JSON-escaped, so no value (quotes, backslashes, newlines, `}`…) can break the JSON body.
 */
export const buildWebhookPayload = (
  action: Pick<StoredWebhookAction, 'method' | 'url' | 'authorizationSealed' | 'body'>,
  fields: WebhookFields,
  placeholders: Record<string, string> = {},
): WebhookRequest => {
  const method = action.method ?? 'POST';
  const body = method === 'GET' || !action.body ? null : render(action.body, placeholders, fields, 'json');
  return { method, url: action.url, body, authorizationSealed: action.authorizationSealed ?? null };
};

/** Reads a delivery payload back; null when it is not a webhook payload. */
export const parseWebhookPayload = (p: Record<string, unknown>): WebhookRequest | null => {
  if (typeof p.url !== 'string') return null;
  const method = p.method === 'GET' ? 'GET' : 'POST';
  return {
    method,
    url: p.url,
    body: typeof p.body === 'string' ? p.body : null,
    authorizationSealed: typeof p.authorizationSealed === 'string' ? p.authorizationSealed : null,
  };
};
