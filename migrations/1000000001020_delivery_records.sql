-- Up Migration
-- Issue 19: what is recorded of each delivery.

-- An activation is `dispatched` once every send is handed to the carrier, and `completed` only
-- when every delivery is final (delivered, answered, failed, no answer, busy, skipped...).
ALTER TABLE activations DROP CONSTRAINT IF EXISTS activations_status_check;
ALTER TABLE activations ADD CONSTRAINT activations_status_check
  CHECK (status IN ('queued', 'planning', 'running', 'dispatched', 'completed', 'failed'));

-- Deliveries handed over but not final yet (awaiting the carrier's callback): the "is every
-- delivery final?" check after each callback is one index probe, not a scan of the fan-out.
-- The predicate is `awaitingCarrierSql` in src/delivery/delivery-status.ts, word for word.
CREATE INDEX deliveries_awaiting_activation_idx ON deliveries(activation_id)
  WHERE status = 'queued' OR (status = 'sent' AND channel = 'sms');

-- A delivery has at most one conversation-history row; the engine finds it by delivery id when
-- the delivery moves on (its status mirrors the delivery's).
CREATE UNIQUE INDEX messages_delivery_uniq ON messages(delivery_id) WHERE delivery_id IS NOT NULL;

-- Down Migration
-- Forward-only.
