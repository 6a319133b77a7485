import { withTransaction, type Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import type { NotificationsRepo } from './notifications-repo.js';
import type { ActivationDispatcher, RuleDeliverySender } from './rule-delivery-sender.js';

export type AccountNotification = { accountId: string; kind: string; title: string; body: string; data: Record<string, unknown> };

/** Port: tells an account's owners something needs attention (stored row + e-mail when configured). */
export type AccountNotifier = { notify(n: AccountNotification): Promise<{ id: string; emailed: number }> };

/**
 * Stores the notification in `account_notifications` (API: GET /v1/account/notifications) and,
 * when e-mail is configured, queues one e-mail per address in `accounts.owner_emails` through
 * the action engine's e-mail deliveries, in the same transaction.
 */
export const createAccountNotifier = (deps: {
  db: Db;
  notifications: Pick<NotificationsRepo, 'insertNotification' | 'markNotificationEmailed'>;
  sender: RuleDeliverySender; plans?: ActivationDispatcher; emailEnabled: boolean; logger: Logger;
}): AccountNotifier => ({
  async notify(n) {
    const out = await withTransaction(deps.db, async (tx) => {
      const { id, owners } = await deps.notifications.insertNotification(tx, n);
      const activationIds: string[] = [];
      let emailed = 0;
      if (deps.emailEnabled) {
        for (const [i, to] of owners.entries()) {
          const d = await deps.sender.send(tx, {
            accountId: n.accountId, key: `notification:${id}:${i}`, actionId: `notification-${n.kind}`, channel: 'email', contactId: null,
            recipientKey: `owner:${to.toLowerCase()}`, address: to, payload: { subject: n.title, text: n.body }, context: { notificationId: id, kind: n.kind },
          });
          emailed++;
          if (d.created) activationIds.push(d.activationId);
        }
        if (emailed > 0) await deps.notifications.markNotificationEmailed(tx, id);
      }
      return { id, activationIds, emailed };
    });
    if (out.activationIds.length > 0) {
      await deps.plans?.dispatch(out.activationIds).catch((err: unknown) => deps.logger.warn({ err }, 'notification e-mail fast path failed'));
    }
    return { id: out.id, emailed: out.emailed };
  },
});
