-- Up Migration
-- Issue 19: status callbacks the carrier sent while the web side was down are lost (the carrier
-- does not send them again). A text or call the carrier has not reported final, with no callback
-- for DELIVERY_RECONCILE_AFTER_MS, is fetched from the carrier by its id; `carrier_checked_at` is
-- when a sweep last did so (claimed with FOR UPDATE SKIP LOCKED: one process per check).
ALTER TABLE deliveries ADD COLUMN carrier_checked_at timestamptz;

-- The sweep's candidates: handed to the carrier (by sent_at), not final. Same predicate as the
-- query in src/delivery/carrier-checks-repo.ts.
CREATE INDEX deliveries_carrier_check_idx ON deliveries(sent_at)
  WHERE (status = 'queued' OR (status = 'sent' AND channel = 'sms')) AND provider = 'twilio';

-- Down Migration
-- Forward-only.
