-- Up Migration
-- Issue 18 (engine speed): every text's delivery row is written three times (planned, claimed,
-- given its outcome), and every update wrote a new entry into each of the table's indexes (none
-- was HOT), because `status` appears in the predicates of three partial indexes: PostgreSQL only
-- updates a row in place of its index entries (HOT) when no indexed or predicate column changes.
-- The claim (pending -> sending) changes nothing those indexes care about: both are "not handed
-- to the carrier yet". So the partial indexes now read `open_phase`, which changes only when a
-- row moves between the engine's phases:
--   0  not handed to the carrier yet (pending, sending)      -> activation not `dispatched`
--   1  handed over, awaiting the carrier (queued, SMS sent)  -> activation not `completed`
--   NULL final
-- It is computed by PostgreSQL from status and channel, so no writer can let it drift. Keep it the
-- same as `openSql` / `awaitingCarrierSql` in src/engine/delivery-status.ts (the queries say
-- `open_phase = 0/1` so the planner can use these indexes).
-- A claim then finds room on its own page (fillfactor 50: a row and its claimed version) and
-- writes no index entry.
-- Upgrading rewrites `deliveries` once (ADD COLUMN ... STORED) under an exclusive lock: on a large
-- install, run the migration in a quiet hour (docs/OPERATIONS.md).
ALTER TABLE deliveries ADD COLUMN open_phase smallint GENERATED ALWAYS AS (
  CASE WHEN status IN ('pending', 'sending') THEN 0
       WHEN status = 'queued' OR (status = 'sent' AND channel = 'sms') THEN 1 END) STORED;

DROP INDEX deliveries_open_activation_idx;
CREATE INDEX deliveries_open_activation_idx ON deliveries(activation_id) WHERE open_phase = 0;
DROP INDEX deliveries_awaiting_activation_idx;
CREATE INDEX deliveries_awaiting_activation_idx ON deliveries(activation_id) WHERE open_phase = 1;
DROP INDEX deliveries_carrier_check_idx;
CREATE INDEX deliveries_carrier_check_idx ON deliveries(sent_at) WHERE open_phase = 1 AND provider = 'twilio';

ALTER TABLE deliveries SET (fillfactor = 50);

-- Down Migration
-- Forward-only.
