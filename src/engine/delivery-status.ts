/**
 * The life of a delivery. A delivery only moves forward (higher rank), so carrier callbacks that
 * arrive twice or out of order cannot move it back (and a call callback with a lower carrier
 * SequenceNumber than the last one applied is ignored):
 *
 *   pending -> sending -> queued -> sent -> delivered | failed            (sms)
 *   pending -> sending -> queued -> answered -> acknowledged              (voice, conference, pager)
 *                                \-> no-answer | busy | failed
 *   skipped (planned but not sent: opted out, do not contact, no address…) is final from the start.
 *
 * `pending` covers a delivery waiting for a retry (`not_before`); `sending` is claimed by a worker.
 */
export const deliveryStatuses = [
  'pending', 'sending', 'queued', 'sent', 'answered', 'delivered', 'no-answer', 'busy', 'failed', 'acknowledged', 'skipped',
] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

const rank: Record<DeliveryStatus, number> = {
  pending: 0, sending: 1, queued: 2, sent: 3, answered: 4, delivered: 5, 'no-answer': 5, busy: 5, failed: 5, acknowledged: 6, skipped: 9,
};

/** Statuses from which a delivery may move to `to` (those of lower rank, never skipped). */
export const statusesBefore = (to: DeliveryStatus): DeliveryStatus[] =>
  deliveryStatuses.filter((s) => rank[s] < rank[to] && s !== 'skipped');

/** Not handed to the carrier yet: the activation is not `dispatched` while any delivery is in one of these. */
export const openStatuses: readonly DeliveryStatus[] = ['pending', 'sending'];

/**
 * SQL over `deliveries` aliased `d`: the delivery is not handed to the carrier yet (`openStatuses`).
 * `open_phase` is a column PostgreSQL computes from status and channel (migration
 * 1000000001400): 0 for these, 1 for `awaitingCarrierSql`, NULL once final. Queries name it,
 * not the statuses, so the partial indexes on it are used (deliveries_open_activation_idx);
 * a claim (pending -> sending) leaves it unchanged and so touches no index (a HOT update).
 */
export const openSql = 'd.open_phase = 0';

/**
 * Handed to the carrier but not final: `queued` (any channel: a text or call awaiting the
 * carrier's callback) and an SMS `sent` (awaiting delivered / undelivered). E-mail, push and
 * webhook `sent` is final: nothing reports on them later. The activation is `completed` only when
 * none of its deliveries matches. SQL over `deliveries` aliased `d`, over the partial indexes
 * deliveries_awaiting_activation_idx and deliveries_carrier_check_idx (see `openSql`).
 */
export const awaitingCarrierSql = 'd.open_phase = 1';

/** Carrier message status -> delivery status (null: ignore). */
export const fromMessageStatus = (s: string): DeliveryStatus | null => {
  switch (s) {
    case 'accepted': case 'scheduled': case 'queued': case 'sending':
      return 'queued';
    case 'sent':
      return 'sent';
    case 'delivered': case 'read':
      return 'delivered';
    case 'undelivered': case 'failed': case 'canceled':
      return 'failed';
    default:
      return null;
  }
};

/** Carrier call status -> delivery status (null: ignore). `completed` is only reported for answered calls. */
export const fromCallStatus = (s: string): DeliveryStatus | null => {
  switch (s) {
    case 'queued': case 'initiated': case 'ringing':
      return 'queued';
    case 'in-progress': case 'answered': case 'completed':
      return 'answered';
    case 'no-answer':
      return 'no-answer';
    case 'busy':
      return 'busy';
    case 'failed': case 'canceled':
      return 'failed';
    default:
      return null;
  }
};

export const telephonyChannels = ['sms', 'voice', 'conference', 'pager'] as const;
export const callChannels = ['voice', 'conference', 'pager'] as const;
export const isCallChannel = (c: string): boolean => (callChannels as readonly string[]).includes(c);
