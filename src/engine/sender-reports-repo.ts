import type { Queryable } from '../db/db.js';

/** A texted activation that reached nobody: who texted, on which line, and the workflow's name. */
export type UnreachedActivation = {
  activationId: string;
  accountId: string;
  workflowName: string;
  caller: string;
  contactId: string | null;
  lineId: string;
  linePhone: string;
};

/**
 * Of these activations, the completed ones triggered by a text (`source = 'sms'`) where some
 * delivery failed and none reached anyone (no delivery queued, sent, delivered, answered or
 * acknowledged): the texter was told "Reaching N people" and must hear otherwise.
 */
export const findUnreachedSmsActivations = async (q: Queryable, activationIds: string[]): Promise<UnreachedActivation[]> => {
  if (activationIds.length === 0) return [];
  const res = await q.query(
    `SELECT a.id, a.account_id, w.name AS workflow_name, a.context->>'caller' AS caller, m.contact_id, l.id AS line_id, l.phone_number
       FROM activations a
       JOIN workflows w ON w.id = a.workflow_id
       JOIN lines l ON l.account_id = a.account_id AND l.id::text = a.context->>'lineId'
       LEFT JOIN messages m ON m.account_id = a.account_id AND m.id::text = a.context->>'messageId'
      WHERE a.id = ANY($1::uuid[]) AND a.source = 'sms' AND a.status = 'completed' AND a.context->>'caller' IS NOT NULL
        AND EXISTS (SELECT 1 FROM deliveries d WHERE d.activation_id = a.id AND d.status IN ('failed', 'busy', 'no-answer'))
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activation_id = a.id
                         AND d.status IN ('queued', 'sent', 'delivered', 'answered', 'acknowledged'))`,
    [activationIds],
  );
  return res.rows.map((r) => ({
    activationId: r.id, accountId: r.account_id, workflowName: r.workflow_name, caller: r.caller, contactId: r.contact_id ?? null,
    lineId: r.line_id, linePhone: r.phone_number,
  }));
};

export const senderReportsRepo = { findUnreachedSmsActivations };
export type SenderReportsRepo = typeof senderReportsRepo;
