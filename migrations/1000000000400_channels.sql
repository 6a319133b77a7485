-- Up Migration
-- Notification channels and extras: polls and their answers, the simulator push provider's
-- outbox, and an index for listing an account's attachments (the table is in the core model).

-- One poll per notification action per activation (the planner may run twice: same poll).
CREATE TABLE polls (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id     uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  activation_id  uuid NOT NULL REFERENCES activations(id) ON DELETE CASCADE,
  action_id      text NOT NULL,
  question       text NOT NULL,
  options        text[] NOT NULL CHECK (cardinality(options) BETWEEN 2 AND 9),
  opened_at      timestamptz NOT NULL DEFAULT now(),
  closes_at      timestamptz NOT NULL,
  UNIQUE (activation_id, action_id)
);
CREATE INDEX polls_account_open_idx ON polls(account_id, closes_at DESC);

-- The answer that counts: one per person per poll; a later answer replaces it while the poll is open.
CREATE TABLE poll_answers (
  poll_id           uuid NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
  contact_id        uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  account_id        uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  option            smallint NOT NULL CHECK (option BETWEEN 1 AND 9),
  channel           text NOT NULL CHECK (channel IN ('sms', 'voice')),
  delivery_id       uuid REFERENCES deliveries(id) ON DELETE SET NULL,
  first_answered_at timestamptz NOT NULL DEFAULT now(),
  answered_at       timestamptz NOT NULL DEFAULT now(),
  changes           integer NOT NULL DEFAULT 0,
  PRIMARY KEY (poll_id, contact_id)
);

-- Every answer received (audit), and the guard that makes a carrier's retried SMS count once.
CREATE TABLE poll_votes (
  id           bigserial PRIMARY KEY,
  poll_id      uuid NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  contact_id   uuid REFERENCES contacts(id) ON DELETE SET NULL,
  option       smallint NOT NULL,
  channel      text NOT NULL,
  provider_id  text,
  accepted     boolean NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX poll_votes_provider_uniq ON poll_votes(account_id, provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX poll_votes_poll_idx ON poll_votes(poll_id, id);

-- What the `simulator` push provider "sent" (PUSH_PROVIDER=simulator): nothing leaves the machine.
CREATE TABLE simulated_pushes (
  id           bigserial PRIMARY KEY,
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  contact_id   uuid REFERENCES contacts(id) ON DELETE SET NULL,
  delivery_id  uuid UNIQUE,
  token        text NOT NULL,
  title        text NOT NULL,
  body         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simulated_pushes_account_idx ON simulated_pushes(account_id, id DESC);

CREATE INDEX attachments_account_idx ON attachments(account_id, created_at DESC, id);

-- Down Migration
-- Forward-only.
