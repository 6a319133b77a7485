import type { Queryable } from '../db/db.js';
import type { DeliveryChannel } from './channel-port.js';
import { awaitingCarrierSql, type DeliveryStatus } from './delivery-status.js';

/** A delivery handed to the carrier whose final status never arrived (see `claimCarrierChecks`). */
export type CarrierCheck = {
  id: string;
  accountId: string;
  channel: DeliveryChannel;
  status: DeliveryStatus;
  providerId: string;
  lineId: string | null;
  address: string | null;
};

/** Checks stop this long after the send: by then the carrier has long said what it will say. */
const GIVE_UP = `interval '24 hours'`;

/**
 * Claims up to `limit` deliveries to fetch from the carrier: handed to it (`queued`, or an SMS
 * `sent`), with no status change for `afterMs` (no callback came), not checked within the last
 * `afterMs` or a quarter of their age (a text that stays `sent` is asked about ever more rarely),
 * sent within the last 24 hours. Marks them checked in the same statement with `FOR UPDATE SKIP
 * LOCKED`, so any number of processes sweep and each row is fetched by one of them per round.
 */
export const claimCarrierChecks = async (q: Queryable, afterMs: number, limit: number): Promise<CarrierCheck[]> => {
  const res = await q.query(
    `UPDATE deliveries u SET carrier_checked_at = now() FROM (
       SELECT d.id FROM deliveries d
        WHERE (${awaitingCarrierSql}) AND d.provider = 'twilio'
          AND d.provider_id IS NOT NULL
          AND d.sent_at > now() - ${GIVE_UP} AND d.sent_at < now() - make_interval(secs => $1::float8 / 1000)
          AND d.updated_at < now() - make_interval(secs => $1::float8 / 1000)
          AND (d.carrier_checked_at IS NULL
               OR d.carrier_checked_at < now() - GREATEST(make_interval(secs => $1::float8 / 1000), (now() - d.sent_at) / 4))
        ORDER BY d.sent_at LIMIT $2 FOR UPDATE SKIP LOCKED) c
     WHERE u.id = c.id
     RETURNING u.id, u.account_id, u.channel, u.status, u.provider_id, u.payload->>'lineId' AS line_id, u.address`,
    [afterMs, limit],
  );
  return res.rows.map((r) => ({
    id: r.id, accountId: r.account_id, channel: r.channel, status: r.status, providerId: r.provider_id, lineId: r.line_id, address: r.address,
  }));
};

export const carrierChecksRepo = { claimCarrierChecks };
export type CarrierChecksRepo = typeof carrierChecksRepo;
