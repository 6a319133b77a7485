-- Up Migration
-- Sequences: multi-step follow-ups over days. A sequence has immutable versions; an enrollment
-- is pinned to the version it enrolled under. Waits live here (next_run_at per enrollment,
-- claimed with FOR UPDATE SKIP LOCKED), so 100,000 waiting contacts cost rows, not Redis memory.

CREATE TABLE sequences (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id          uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name                text NOT NULL,
  description         text NOT NULL DEFAULT '',
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
  allow_reenrollment  boolean NOT NULL DEFAULT false,
  current_version     integer NOT NULL DEFAULT 1,
  template_key        text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  deleted_at          timestamptz
);
CREATE UNIQUE INDEX sequences_name_uniq ON sequences(account_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX sequences_account_idx ON sequences(account_id, created_at DESC, id);

CREATE TABLE sequence_versions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sequence_id  uuid NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  version      integer NOT NULL,
  definition   jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (sequence_id, version)
);

CREATE TABLE sequence_enrollments (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id      uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  sequence_id     uuid NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  version_id      uuid NOT NULL REFERENCES sequence_versions(id),
  version         integer NOT NULL,
  contact_id      uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  status          text NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'completed', 'exited', 'unenrolled', 'failed')),
  source          text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'rule', 'trigger', 'template')),
  step_index      integer NOT NULL DEFAULT 0,
  step_id         text,
  -- What the current step waits for: a delay's end, a branch's deadline, quiet hours, or nothing.
  waiting         text NOT NULL DEFAULT 'ready' CHECK (waiting IN ('ready', 'delay', 'branch', 'quiet_hours', 'retry', 'none')),
  step_entered_at timestamptz NOT NULL DEFAULT now(),
  wait_until      timestamptz,
  next_run_at     timestamptz,
  attempts        integer NOT NULL DEFAULT 0,
  placeholders    jsonb NOT NULL DEFAULT '{}',
  -- When each step last ran ({ stepId: iso }): branches look at what happened since.
  state           jsonb NOT NULL DEFAULT '{}',
  context         jsonb NOT NULL DEFAULT '{}',
  idempotency_key text,
  exit_reason     text,
  error           text,
  enrolled_at     timestamptz NOT NULL DEFAULT now(),
  ended_at        timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
-- A contact is in a given sequence at most once at a time.
CREATE UNIQUE INDEX sequence_enrollments_active_uniq ON sequence_enrollments(sequence_id, contact_id) WHERE status = 'active';
-- The worker's claim: only active rows with a due time are indexed.
CREATE INDEX sequence_enrollments_due_idx ON sequence_enrollments(next_run_at) WHERE status = 'active' AND next_run_at IS NOT NULL;
CREATE INDEX sequence_enrollments_contact_idx ON sequence_enrollments(contact_id, status);
CREATE INDEX sequence_enrollments_sequence_idx ON sequence_enrollments(sequence_id, status, step_id);
CREATE UNIQUE INDEX sequence_enrollments_idem_uniq ON sequence_enrollments(account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Execution history: what each enrollment did and why (read and purged through the API).
CREATE TABLE sequence_history (
  id             bigserial PRIMARY KEY,
  account_id     uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  sequence_id    uuid NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  enrollment_id  uuid NOT NULL REFERENCES sequence_enrollments(id) ON DELETE CASCADE,
  contact_id     uuid REFERENCES contacts(id) ON DELETE SET NULL,
  version        integer NOT NULL,
  step_id        text,
  kind           text NOT NULL,
  detail         jsonb NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sequence_history_enrollment_idx ON sequence_history(enrollment_id, id);
CREATE INDEX sequence_history_sequence_idx ON sequence_history(sequence_id, id);

-- What an enrolled contact did (replied, pressed a key, answered a poll, any event), stamped with
-- the sequence clock; branches and exits look here. Kept only for contacts in a sequence.
-- `ref` (message:<id> / event:<id>) makes recording idempotent across retries and both paths.
CREATE TABLE sequence_signals (
  id          bigserial PRIMARY KEY,
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  contact_id  uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('replied', 'key_pressed', 'poll_answered', 'event')),
  event_type  text NOT NULL,
  data        jsonb NOT NULL DEFAULT '{}',
  ref         text NOT NULL,
  at          timestamptz NOT NULL,
  UNIQUE (account_id, ref)
);
CREATE INDEX sequence_signals_contact_idx ON sequence_signals(contact_id, at);

-- Down Migration
-- Forward-only.
