import type { Db } from '../db/db.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { cancelPendingById, cancelPendingForRule, findPending, listPending, type PendingAction, type PendingQuery } from './pending-repo.js';
import { queryLogs, type LogQuery, type RuleLog } from './rule-logs-repo.js';
import { findRule } from './rules-repo.js';

/** Rule logs, a contact's rule history, and the pending actions queue (list and flush). */
export const createRuleLogsService = (deps: { db: Db }) => {
  const logs = (accountId: string, q: LogQuery): Promise<RuleLog[]> => queryLogs(deps.db, accountId, q);

  const contactHistory = async (accountId: string, contactId: string, q: Pick<LogQuery, 'beforeId' | 'limit'>) => {
    const c = await deps.db.query('SELECT 1 FROM contacts WHERE account_id = $1 AND id = $2', [accountId, contactId]);
    if (!c.rowCount) throw new NotFoundError('contact');
    const [history, pending] = await Promise.all([
      queryLogs(deps.db, accountId, { ...q, contactId }),
      listPending(deps.db, accountId, { contactId, limit: 100 }),
    ]);
    return { history, pending };
  };

  const pending = (accountId: string, q: PendingQuery): Promise<PendingAction[]> => listPending(deps.db, accountId, q);

  /** Cancels one waiting action; 404 if unknown, 409 if it already ran or is running. */
  const cancelOne = async (accountId: string, id: string): Promise<PendingAction> => {
    const [row] = await cancelPendingById(deps.db, accountId, id, 'flushed');
    if (row) return row;
    const p = await findPending(deps.db, accountId, id);
    if (!p) throw new NotFoundError('pending action');
    throw new ConflictError(`this action is ${p.status} and can no longer be cancelled`, 'not_pending');
  };

  /** Cancels every waiting action of a rule (optionally for one contact). */
  const flushRule = async (accountId: string, ruleId: string, contactId?: string): Promise<{ cancelled: number }> => {
    if (!(await findRule(deps.db, accountId, ruleId, { withDeleted: true }))) throw new NotFoundError('rule');
    const rows = await cancelPendingForRule(deps.db, accountId, ruleId, 'flushed', { contactId });
    return { cancelled: rows.length };
  };

  const notifications = async (accountId: string, limit = 50) => {
    const res = await deps.db.query(
      'SELECT id, kind, title, body, data, emailed_at, read_at, created_at FROM account_notifications WHERE account_id = $1 ORDER BY created_at DESC LIMIT $2',
      [accountId, limit],
    );
    return res.rows.map((r) => ({ id: r.id, kind: r.kind, title: r.title, body: r.body, data: r.data, emailedAt: r.emailed_at, readAt: r.read_at, createdAt: r.created_at }));
  };

  return { logs, contactHistory, pending, cancelOne, flushRule, notifications };
};
export type RuleLogsService = ReturnType<typeof createRuleLogsService>;
