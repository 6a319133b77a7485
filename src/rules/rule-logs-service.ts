import type { Db } from '../db/db.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { NotificationsRepo } from './notifications-repo.js';
import type { PendingAction, PendingQuery, PendingRepo } from './pending-repo.js';
import type { RuleContextRepo } from './rule-context-repo.js';
import type { LogQuery, RuleLog, RuleLogsRepo } from './rule-logs-repo.js';
import type { RulesRepo } from './rules-repo.js';

export type RuleLogsServiceDeps = {
  db: Db;
  ruleLogs: Pick<RuleLogsRepo, 'queryLogs'>;
  pending: Pick<PendingRepo, 'listPending' | 'cancelPendingById' | 'findPending' | 'cancelPendingForRule'>;
  rules: Pick<RulesRepo, 'findRule'>;
  context: Pick<RuleContextRepo, 'contactExists'>;
  notifications: Pick<NotificationsRepo, 'listNotifications'>;
};

/** Rule logs, a contact's rule history, and the pending actions queue (list and flush). */
export const createRuleLogsService = (deps: RuleLogsServiceDeps) => {
  const { db } = deps;
  const logs = (accountId: string, q: LogQuery): Promise<RuleLog[]> => deps.ruleLogs.queryLogs(db, accountId, q);

  const contactHistory = async (accountId: string, contactId: string, q: Pick<LogQuery, 'beforeId' | 'limit'>) => {
    if (!(await deps.context.contactExists(db, accountId, contactId))) throw new NotFoundError('contact');
    const [history, pending] = await Promise.all([
      deps.ruleLogs.queryLogs(db, accountId, { ...q, contactId }),
      deps.pending.listPending(db, accountId, { contactId, limit: 100 }),
    ]);
    return { history, pending };
  };

  const pending = (accountId: string, q: PendingQuery): Promise<PendingAction[]> => deps.pending.listPending(db, accountId, q);

  /** Cancels one waiting action; 404 if unknown, 409 if it already ran or is running. */
  const cancelOne = async (accountId: string, id: string): Promise<PendingAction> => {
    const [row] = await deps.pending.cancelPendingById(db, accountId, id, 'flushed');
    if (row) return row;
    const p = await deps.pending.findPending(db, accountId, id);
    if (!p) throw new NotFoundError('pending action');
    throw new ConflictError(`this action is ${p.status} and can no longer be cancelled`, 'not_pending');
  };

  /** Cancels every waiting action of a rule (optionally for one contact). */
  const flushRule = async (accountId: string, ruleId: string, contactId?: string): Promise<{ cancelled: number }> => {
    if (!(await deps.rules.findRule(db, accountId, ruleId, { withDeleted: true }))) throw new NotFoundError('rule');
    const rows = await deps.pending.cancelPendingForRule(db, accountId, ruleId, 'flushed', { contactId });
    return { cancelled: rows.length };
  };

  const notifications = (accountId: string, limit = 50) => deps.notifications.listNotifications(db, accountId, limit);

  return { logs, contactHistory, pending, cancelOne, flushRule, notifications };
};
export type RuleLogsService = ReturnType<typeof createRuleLogsService>;
