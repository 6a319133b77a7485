-- Up Migration
-- Domain events: posted by other systems (`POST /v1/events`) or raised inside Switchboard
-- (call ended, message received, delivery status, contact changed, poll answered). Rules and
-- sequences consume them. Written with an outbox row in the producer's transaction.
CREATE TABLE events (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id       uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  type             text NOT NULL,
  contact_id       uuid REFERENCES contacts(id) ON DELETE SET NULL,
  data             jsonb NOT NULL DEFAULT '{}',
  source           text NOT NULL DEFAULT 'internal' CHECK (source IN ('api', 'internal')),
  idempotency_key  text,
  -- Loop protection: the rule whose action raised this event, and how deep the chain is.
  caused_by_rule   uuid,
  chain_depth      integer NOT NULL DEFAULT 0,
  occurred_at      timestamptz NOT NULL DEFAULT now(),
  created_at       timestamptz NOT NULL DEFAULT now(),
  processed_at     timestamptz
);
CREATE UNIQUE INDEX events_idem_uniq ON events(account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_contact_idx ON events(contact_id, occurred_at DESC);
CREATE INDEX events_account_idx ON events(account_id, occurred_at DESC);
