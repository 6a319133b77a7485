import { withTransaction, type Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import type { DeliveryDispatch, RuleDeliverySender } from './rule-delivery-sender.js';

export type AccountNotification = { accountId: string; kind: string; title: string; body: string; data: Record<string, unknown> };

/** Port: tells an account's owners something needs attention (stored row + e-mail when configured). */
export type AccountNotifier = { notify(n: AccountNotification): Promise<{ id: string; emailed: number }> };

/**
 * Stores the notification in `account_notifications` (API: GET /v1/account/notifications) and,
 * when e-mail is configured, queues one e-mail per address in `accounts.owner_emails` through
 * the action engine's e-mail deliveries, in the same transaction.
 */
export const createAccountNotifier = (deps: {
  db: Db; sender: RuleDeliverySender; deliveries?: DeliveryDispatch; emailEnabled: boolean; logger: Logger;
}): AccountNotifier => ({
  async notify(n) {
    const out = await withTransaction(deps.db, async (tx) => {
      const res = await tx.query(
        `INSERT INTO account_notifications (account_id, kind, title, body, data) VALUES ($1,$2,$3,$4,$5)
         RETURNING id, (SELECT owner_emails FROM accounts WHERE id = $1) AS owners`,
        [n.accountId, n.kind, n.title, n.body, JSON.stringify(n.data)],
      );
      const { id, owners } = res.rows[0] as { id: string; owners: string[] | null };
      const deliveryIds: string[] = [];
      if (deps.emailEnabled) {
        for (const [i, to] of (owners ?? []).entries()) {
          const d = await deps.sender.send(tx, {
            accountId: n.accountId, key: `notification:${id}:${i}`, actionId: `notification-${n.kind}`, channel: 'email', contactId: null,
            recipientKey: `owner:${to.toLowerCase()}`, address: to, payload: { subject: n.title, text: n.body }, context: { notificationId: id, kind: n.kind },
          });
          deliveryIds.push(d.deliveryId);
        }
        if (deliveryIds.length > 0) await tx.query('UPDATE account_notifications SET emailed_at = now() WHERE id = $1', [id]);
      }
      return { id, deliveryIds };
    });
    if (out.deliveryIds.length > 0) {
      await deps.deliveries?.dispatch(out.deliveryIds).catch((err) => deps.logger.warn({ err }, 'notification e-mail fast path failed'));
    }
    return { id: out.id, emailed: out.deliveryIds.length };
  },
});
