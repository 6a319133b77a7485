/**
 * Read-only lookups for code activation: the workflow a code names, how many people it
 * reaches, and who a phone number is.
 */
import { workflowAudience } from '../workflows/workflow-audience-repo.js';
import type { Queryable } from '../db/db.js';

export type CodeWorkflow = {
  id: string;
  name: string;
  askVoiceMessage: boolean;
  maxRecordingSeconds: number;
};

const SELECT = `SELECT w.id, w.name, v.definition->'codeActivation' AS ca
                  FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
                 WHERE w.account_id = $1 AND w.deleted_at IS NULL AND w.status = 'active'
                   AND (w.code_line_id IS NULL OR w.code_line_id = $2)`;

const toCodeWorkflow = (r: Record<string, any>): CodeWorkflow => ({
  id: r.id,
  name: r.name,
  askVoiceMessage: Boolean(r.ca?.askVoiceMessage),
  maxRecordingSeconds: Number(r.ca?.maxRecordingSeconds ?? 60),
});

/**
 * The active workflow of the account whose code dials these keypad digits and that may be
 * activated on this line (a code restricted to another line does not match). Paused and
 * deleted workflows never match.
 */
export const findWorkflowByDigits = async (q: Queryable, accountId: string, lineId: string, digits: string): Promise<CodeWorkflow | null> => {
  const r = await q.query(`${SELECT} AND w.code_digits = $3`, [accountId, lineId, digits]);
  return r.rows[0] ? toCodeWorkflow(r.rows[0]) : null;
};

/** Same, by the code's letters (texted codes: `PERS` does not match `RESQ` although both dial 7377). */
export const findWorkflowByCode = async (q: Queryable, accountId: string, lineId: string, code: string): Promise<CodeWorkflow | null> => {
  const r = await q.query(`${SELECT} AND w.code = $3`, [accountId, lineId, code]);
  return r.rows[0] ? toCodeWorkflow(r.rows[0]) : null;
};

/** Distinct reachable contacts in the groups the workflow's current version names. */
/** How many people an activation of the workflow reaches (what the caller is told): see `workflowAudience`. */
export const countWorkflowRecipients = async (q: Queryable, accountId: string, workflowId: string): Promise<number> =>
  (await workflowAudience(q, accountId, workflowId))?.people ?? 0;

export const findContactIdByPhone = async (q: Queryable, accountId: string, phone: string): Promise<string | null> => {
  const r = await q.query('SELECT id FROM contacts WHERE account_id = $1 AND phone = $2', [accountId, phone]);
  return r.rows[0]?.id ?? null;
};

/** The workflow's name, for the caller ('The workflow' when it is gone). */
export const findWorkflowName = async (q: Queryable, workflowId: string): Promise<string> => {
  const r = await q.query('SELECT name FROM workflows WHERE id = $1', [workflowId]);
  return String(r.rows[0]?.name ?? 'The workflow');
};

export const codesRepo = { findWorkflowByDigits, findWorkflowByCode, countWorkflowRecipients, findContactIdByPhone, findWorkflowName };
export type CodesRepo = typeof codesRepo;
