-- Up Migration
-- Rule engine: contact lists, rules, their pending (possibly delayed) actions, the evaluation and
-- action log, the do-not-contact number list, revenue entries and account notifications.
-- Also the per-consumer ledger that makes event handling idempotent.

CREATE TABLE event_consumptions (
  event_id     uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  consumer     text NOT NULL,
  consumed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, consumer)
);

CREATE TABLE contact_lists (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contact_lists_name_uniq ON contact_lists(account_id, lower(name));

CREATE TABLE contact_list_members (
  list_id     uuid NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE,
  contact_id  uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX contact_list_members_contact_idx ON contact_list_members(contact_id);

CREATE TABLE rules (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id       uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name             text NOT NULL,
  event_type       text NOT NULL,
  enabled          boolean NOT NULL DEFAULT true,
  scope            jsonb NOT NULL DEFAULT '{"type":"account"}',
  conditions       jsonb NOT NULL DEFAULT '[]',
  actions          jsonb NOT NULL DEFAULT '[]',
  rollout_percent  integer NOT NULL DEFAULT 100 CHECK (rollout_percent BETWEEN 0 AND 100),
  skip_if_pending  boolean NOT NULL DEFAULT false,
  stop_if          jsonb,
  window_name      text NOT NULL DEFAULT 'always',
  -- Loop protection: how often the rule's own actions made it fire again since it was enabled.
  loop_count       integer NOT NULL DEFAULT 0,
  disabled_reason  text,
  disabled_at      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  deleted_at       timestamptz
);
CREATE INDEX rules_account_event_idx ON rules(account_id, event_type) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX rules_name_uniq ON rules(account_id, lower(name)) WHERE deleted_at IS NULL;

-- One row per action a matched rule scheduled for a contact. Only due rows go to Redis.
CREATE TABLE rule_pending_actions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  rule_id      uuid NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
  action_id    text NOT NULL,
  action_type  text NOT NULL,
  contact_id   uuid REFERENCES contacts(id) ON DELETE CASCADE,
  event_id     uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  chain_depth  integer NOT NULL DEFAULT 0,
  status       text NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'queued', 'running', 'done', 'failed', 'cancelled', 'skipped')),
  due_at       timestamptz NOT NULL,
  attempts     integer NOT NULL DEFAULT 0,
  queued_at    timestamptz,
  claimed_at   timestamptz,
  finished_at  timestamptz,
  reason       text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, rule_id, action_id)
);
CREATE INDEX rule_pending_due_idx ON rule_pending_actions(due_at) WHERE status = 'pending';
CREATE INDEX rule_pending_queued_idx ON rule_pending_actions(queued_at) WHERE status IN ('queued', 'running');
CREATE INDEX rule_pending_contact_idx ON rule_pending_actions(contact_id, rule_id) WHERE status IN ('pending', 'queued', 'running');
CREATE INDEX rule_pending_rule_idx ON rule_pending_actions(rule_id, status);

CREATE TABLE rule_logs (
  id           bigserial PRIMARY KEY,
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  rule_id      uuid NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
  contact_id   uuid REFERENCES contacts(id) ON DELETE SET NULL,
  event_id     uuid REFERENCES events(id) ON DELETE SET NULL,
  kind         text NOT NULL CHECK (kind IN ('evaluation', 'action')),
  outcome      text NOT NULL,
  action_id    text,
  action_type  text,
  pending_id   uuid,
  detail       jsonb NOT NULL DEFAULT '{}',
  at           timestamptz NOT NULL DEFAULT now()
);
-- A redelivered event is evaluated once per rule.
CREATE UNIQUE INDEX rule_logs_evaluation_uniq ON rule_logs(event_id, rule_id) WHERE kind = 'evaluation';
CREATE INDEX rule_logs_account_idx ON rule_logs(account_id, at DESC, id DESC);
CREATE INDEX rule_logs_contact_idx ON rule_logs(contact_id, at DESC);
-- Rate limit: matches of one rule for one contact in the last minutes.
CREATE INDEX rule_logs_matched_idx ON rule_logs(rule_id, contact_id, at) WHERE kind = 'evaluation' AND outcome = 'matched';

CREATE TABLE dnc_numbers (
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  phone       text NOT NULL,
  source      text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'rule')),
  rule_id     uuid REFERENCES rules(id) ON DELETE SET NULL,
  contact_id  uuid REFERENCES contacts(id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, phone)
);

CREATE TABLE revenue_entries (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  contact_id  uuid REFERENCES contacts(id) ON DELETE SET NULL,
  rule_id     uuid REFERENCES rules(id) ON DELETE SET NULL,
  pending_id  uuid UNIQUE,
  amount      numeric(14, 2) NOT NULL,
  currency    text NOT NULL DEFAULT 'USD',
  note        text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revenue_entries_account_idx ON revenue_entries(account_id, created_at DESC);

CREATE TABLE account_notifications (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  kind        text NOT NULL,
  title       text NOT NULL,
  body        text NOT NULL DEFAULT '',
  data        jsonb NOT NULL DEFAULT '{}',
  emailed_at  timestamptz,
  read_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_notifications_account_idx ON account_notifications(account_id, created_at DESC);

-- Down Migration
-- Forward-only.
