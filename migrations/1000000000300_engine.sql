-- Up Migration
-- Action engine: per-action results of an activation (prompt output, poll), engine timers
-- (conference retry) that survive a Redis loss, and indexes for the sweepers and completion checks.

-- One row per (activation, action): what was computed once for the whole action while planning,
-- so re-planning reuses it instead of asking the prompt endpoint again or opening a second poll.
CREATE TABLE activation_actions (
  activation_id  uuid NOT NULL REFERENCES activations(id) ON DELETE CASCADE,
  action_id      text NOT NULL,
  account_id     uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  prompt_output  text,
  prompt_error   text,
  poll_id        text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (activation_id, action_id)
);

-- Delayed engine work kept in PostgreSQL too: the BullMQ delayed job is the fast path, the sweeper
-- re-queues a due timer Redis lost. An activation is not completed while one of its timers is open.
CREATE TABLE engine_timers (
  activation_id  uuid NOT NULL REFERENCES activations(id) ON DELETE CASCADE,
  action_id      text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('conference_retry')),
  account_id     uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  due_at         timestamptz NOT NULL,
  done_at        timestamptz,
  outcome        text,
  PRIMARY KEY (activation_id, action_id, kind)
);
CREATE INDEX engine_timers_due_idx ON engine_timers(due_at) WHERE done_at IS NULL;

-- A delivery waiting for a retry is 'pending' with the time it may be tried again.
ALTER TABLE deliveries ADD COLUMN not_before timestamptz;

-- Deliveries not yet final: cheap "is this activation done?" checks and sweeps.
CREATE INDEX deliveries_open_activation_idx ON deliveries(activation_id) WHERE status IN ('pending', 'sending');
CREATE INDEX deliveries_open_sweep_idx ON deliveries(updated_at) WHERE status IN ('pending', 'sending');
CREATE INDEX activations_running_idx ON activations(created_at) WHERE status IN ('queued', 'planning', 'running');

-- Down Migration
-- Forward-only.
