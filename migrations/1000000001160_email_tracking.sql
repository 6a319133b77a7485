-- Up Migration
-- Issue 16: e-mail open and click tracking (off by default per account: settings.emailTracking).
-- One row per tracked e-mail delivery, created by its first open or click. The row lock taken
-- by each recorded open/click makes "first open" / "first click" exact across processes, and the
-- events it raises (email.opened / email.clicked) carry idempotency keys as a second guard.

CREATE TABLE email_tracking (
  delivery_id        uuid PRIMARY KEY REFERENCES deliveries(id) ON DELETE CASCADE,
  account_id         uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  open_count         integer NOT NULL DEFAULT 0,
  first_opened_at    timestamptz,
  last_opened_at     timestamptz,
  -- The first open looked automated (image proxy prefetch: Apple MPP, Google image proxy…).
  machine_open       boolean,
  machine_reason     text,
  click_count        integer NOT NULL DEFAULT 0,
  first_clicked_at   timestamptz,
  last_clicked_at    timestamptz,
  first_clicked_url  text,
  opened_event_id    uuid,
  clicked_event_id   uuid,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_tracking_account_idx ON email_tracking(account_id, created_at);

-- Sequences branch on them: their signals get their own kinds.
ALTER TABLE sequence_signals DROP CONSTRAINT sequence_signals_kind_check;
ALTER TABLE sequence_signals ADD CONSTRAINT sequence_signals_kind_check
  CHECK (kind IN ('replied', 'key_pressed', 'poll_answered', 'event', 'email_opened', 'email_clicked'));

-- Down Migration
-- Forward-only.
