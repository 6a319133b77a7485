-- Up Migration
-- Call tracking: the state of each tracked call (forwarding plan, outcome, the once-only end
-- marker), the account's post-call workflows, and one log row per (call, workflow) evaluation.
-- The call itself stays in `calls` (caller, line, source, started_at, outcome, duration,
-- recording): tracking writes its final outcome there too, so every feature reads one record.

CREATE TABLE tracked_calls (
  call_id          uuid PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
  account_id       uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  line_id          uuid REFERENCES lines(id) ON DELETE SET NULL,
  provider_call_id text NOT NULL UNIQUE,
  caller           text NOT NULL,
  source           text NOT NULL,
  started_at       timestamptz NOT NULL,
  -- The forwarding plan, fixed when the call arrives (later settings changes do not move it).
  forward_to       text[] NOT NULL,
  strategy         text NOT NULL CHECK (strategy IN ('sequential', 'simultaneous')),
  ring_timeout     integer NOT NULL,
  record           boolean NOT NULL DEFAULT false,
  -- Facts gathered from the Dial legs before the end (a leg answered, its talk time).
  answered_at      timestamptz,
  talk_seconds     integer,
  answered_number  text,
  last_leg_status  text,               -- the latest final status of an unanswered leg
  recording_url    text,
  -- Set exactly once, by a conditional UPDATE: the Dial action or the final status, first wins.
  ended_at         timestamptz,
  outcome          text CHECK (outcome IN ('answered', 'missed')),
  end_reason       text,               -- completed | no-answer | busy | failed | canceled
  ended_by         text,               -- dial-action | leg-status | call-status
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tracked_calls_account_idx ON tracked_calls(account_id, started_at DESC, call_id);
-- Caller frequency: earlier tracked calls of the same caller.
CREATE INDEX tracked_calls_caller_idx ON tracked_calls(account_id, caller, started_at);

CREATE TABLE tracking_workflows (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name        text NOT NULL,
  enabled     boolean NOT NULL DEFAULT true,
  trigger     text NOT NULL CHECK (trigger IN ('answered', 'missed')),
  conditions  jsonb NOT NULL DEFAULT '[]',
  actions     jsonb NOT NULL,          -- webhook Authorization sealed with SECRET_KEY
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);
CREATE UNIQUE INDEX tracking_workflows_name_uniq ON tracking_workflows(account_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX tracking_workflows_account_idx ON tracking_workflows(account_id, created_at, id);

CREATE TABLE tracking_logs (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id     uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  call_id        uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  workflow_id    uuid NOT NULL REFERENCES tracking_workflows(id) ON DELETE CASCADE,
  workflow_name  text NOT NULL,
  trigger        text NOT NULL,
  caller         text NOT NULL,
  line_id        uuid REFERENCES lines(id) ON DELETE SET NULL,
  source         text NOT NULL,
  matched        boolean NOT NULL,
  reason         text,                  -- first failed condition, or why nothing ran
  conditions     jsonb NOT NULL DEFAULT '[]',
  actions        jsonb NOT NULL DEFAULT '[]',
  status         text NOT NULL DEFAULT 'done' CHECK (status IN ('running', 'done')),
  activation_id  uuid REFERENCES activations(id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (call_id, workflow_id)
);
CREATE INDEX tracking_logs_account_idx ON tracking_logs(account_id, created_at DESC, id);
CREATE INDEX tracking_logs_caller_idx ON tracking_logs(account_id, caller, created_at DESC);
CREATE INDEX tracking_logs_workflow_idx ON tracking_logs(workflow_id, created_at DESC);

-- Down Migration
-- Forward-only.
