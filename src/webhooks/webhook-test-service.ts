import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../crypto.js';
import type { Queryable } from '../db/db.js';
import { NotFoundError, UnprocessableError } from '../errors.js';
import { buildWebhookPayload, type StoredWebhookAction } from './webhook-payload.js';
import type { WebhookClient, WebhookFailureKind } from './webhook-port.js';

/**
 * Reads a workflow's current version: `workflowsRepo` (src/workflows/workflows-repo.ts) fits.
 * Declared here because src/workflows imports src/webhooks (the SSRF policy), not the reverse.
 */
export type WorkflowReader = {
  findWorkflow(q: Queryable, accountId: string, id: string): Promise<{ definition: { name: string; actions?: readonly unknown[] } } | null>;
};

export type WebhookTestServiceDeps = {
  db: Queryable;
  workflows: WorkflowReader;
  client: WebhookClient;
  secrets: Pick<SecretBox, 'open'>;
};

export type WebhookTestInput = {
  placeholders?: Record<string, string>;
  recordingUrl?: string | null;
  inboundMessage?: string | null;
  promptOutput?: string | null;
};

/** What `POST /v1/workflows/:id/actions/:actionId/test` reports. Never contains the Authorization value. */
export type WebhookTestReport = {
  ok: boolean;
  status: number | null;
  durationMs: number;
  redirects: number;
  refused: boolean;
  error: { kind: WebhookFailureKind; reason: string } | null;
  responseExcerpt: string | null;
  request: { method: 'GET' | 'POST'; url: string; body: string | null; authorization: boolean };
};

/**
 * Sends one test request for a webhook action of a workflow's current version, with sample
 * values for the fields, through the same guarded client as real deliveries.
 */
export const createWebhookTestService = (deps: WebhookTestServiceDeps) => {
  const findAction = async (accountId: string, workflowId: string, actionId: string) => {
    const row = await deps.workflows.findWorkflow(deps.db, accountId, workflowId);
    if (!row) throw new NotFoundError('workflow');
    const actions = (row.definition.actions ?? []) as unknown as Array<Record<string, unknown>>;
    const action = actions.find((a) => a.id === actionId);
    if (!action) throw new NotFoundError('action');
    if (action.type !== 'webhook') throw new UnprocessableError(`action ${actionId} is a ${String(action.type)} action, not a webhook`, 'not_a_webhook_action');
    return { workflowName: row.definition.name, action: action as unknown as StoredWebhookAction };
  };

  /** Sends the test request; a refused or failed request is a report, not an error. */
  const testAction = async (accountId: string, workflowId: string, actionId: string, input: WebhookTestInput = {}): Promise<WebhookTestReport> => {
    const { workflowName, action } = await findAction(accountId, workflowId, actionId);
    const activationId = randomUUID();
    const payload = buildWebhookPayload(action, {
      workflow_name: workflowName,
      activation_uuid: activationId,
      recording_url: input.recordingUrl ?? '',
      inbound_message: input.inboundMessage ?? 'This is a test request from Switchboard.',
      prompt_output: input.promptOutput ?? '',
    }, input.placeholders ?? {});
    const headers: Record<string, string> = { 'x-switchboard-test': 'true', 'x-switchboard-activation': activationId, 'idempotency-key': `test-${activationId}` };
    if (payload.body !== null) headers['content-type'] = 'application/json';
    if (payload.authorizationSealed) {
      try {
        headers.authorization = deps.secrets.open(payload.authorizationSealed);
      } catch {
        throw new UnprocessableError('the stored Authorization header cannot be decrypted; set it again', 'authorization_unreadable');
      }
    }
    const request = { method: payload.method, url: payload.url, body: payload.body, authorization: Boolean(payload.authorizationSealed) };
    const outcome = await deps.client.send({ method: payload.method, url: payload.url, headers, body: payload.body });
    if (!outcome.ok) {
      const f = outcome.failure;
      return { ok: false, status: null, durationMs: f.durationMs, redirects: 0, refused: f.kind === 'refused', error: { kind: f.kind, reason: f.reason }, responseExcerpt: null, request };
    }
    const r = outcome.response;
    return {
      ok: r.status >= 200 && r.status < 300,
      status: r.status,
      durationMs: r.durationMs,
      redirects: r.redirects,
      refused: false,
      error: null,
      responseExcerpt: r.bodyExcerpt.slice(0, 2000),
      request,
    };
  };

  return { testAction };
};
export type WebhookTestService = ReturnType<typeof createWebhookTestService>;
