-- Up Migration
-- Scheduled workflows. The next occurrence of each schedule lives here, in PostgreSQL: firing
-- loops in any number of worker processes claim due rows with FOR UPDATE SKIP LOCKED, so a
-- schedule survives Redis loss and fires each occurrence once. Kept in step with the workflow
-- (create, edit, pause, resume, delete) by a workflow change hook in the same transaction.

CREATE TABLE workflow_schedules (
  workflow_id       uuid PRIMARY KEY REFERENCES workflows(id) ON DELETE CASCADE,
  account_id        uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  workflow_version  integer NOT NULL,
  spec              jsonb NOT NULL,
  -- The zone the next occurrence was computed in: spec.timezone, else the account's.
  timezone          text NOT NULL,
  -- NULL: no future occurrence (never claimed).
  next_run_at       timestamptz,
  paused            boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
-- The firing loops' claim: due rows, oldest first.
CREATE INDEX workflow_schedules_due_idx ON workflow_schedules(next_run_at) WHERE next_run_at IS NOT NULL;

-- What happened to every occurrence: fired (with its activation), missed (downtime longer than
-- the grace window), skipped_paused (workflow paused), failed (could not be activated).
-- Written in bulk inside the firing transaction, so it carries one foreign key only: the
-- workflow's (deleting a workflow or account cascades through it); account_id and
-- activation_id are written in the same transaction as the rows they name.
CREATE TABLE schedule_runs (
  id             bigserial PRIMARY KEY,
  workflow_id    uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  account_id     uuid NOT NULL,
  occurrence     timestamptz NOT NULL,
  status         text NOT NULL CHECK (status IN ('fired', 'missed', 'skipped_paused', 'failed')),
  activation_id  uuid,
  error          text,
  recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (workflow_id, occurrence)
);
CREATE INDEX schedule_runs_workflow_idx ON schedule_runs(workflow_id, occurrence DESC);

-- Down Migration
-- Forward-only.
