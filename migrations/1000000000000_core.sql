-- Up Migration
-- Core data model: tenants, credentials, lines, contacts, groups, workflows and their immutable
-- versions, the activation spine (activations, outbox, deliveries) and the conversation history.
-- Later features add tables; they do not rework these.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE accounts (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL,
  timezone      text NOT NULL DEFAULT 'UTC',
  help_text     text NOT NULL DEFAULT 'Switchboard: text a 4-character code to activate a workflow. Reply STOP to opt out.',
  owner_emails  text[] NOT NULL DEFAULT '{}',
  settings      jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name         text NOT NULL,
  prefix       text NOT NULL,
  key_hash     text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_account_idx ON api_keys(account_id);

CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id    uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  email         text NOT NULL,
  name          text NOT NULL DEFAULT '',
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'member')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz
);
CREATE UNIQUE INDEX users_email_uniq ON users(lower(email));

CREATE TABLE sessions (
  id          text PRIMARY KEY,            -- sha256 of the cookie token
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  csrf_token  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);

CREATE TABLE carrier_connections (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id      uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  provider        text NOT NULL CHECK (provider IN ('twilio')),
  name            text NOT NULL DEFAULT '',
  account_sid     text NOT NULL,
  auth_token_enc  text NOT NULL,            -- AES-256-GCM with SECRET_KEY, never returned
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, account_sid)
);
-- Inbound webhooks are signed with the auth token of the carrier account that owns the number.
CREATE INDEX carrier_connections_sid_idx ON carrier_connections(account_sid);

CREATE TABLE lines (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id             uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  phone_number           text NOT NULL,     -- E.164
  name                   text NOT NULL DEFAULT '',
  provider               text NOT NULL CHECK (provider IN ('twilio', 'simulator')),
  carrier_connection_id  uuid REFERENCES carrier_connections(id) ON DELETE RESTRICT,
  mode                   text NOT NULL DEFAULT 'activation' CHECK (mode IN ('activation', 'tracking')),
  greeting               text NOT NULL DEFAULT 'Welcome to Switchboard. Please enter your four character code.',
  settings               jsonb NOT NULL DEFAULT '{}',
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT lines_twilio_needs_connection CHECK (provider <> 'twilio' OR carrier_connection_id IS NOT NULL)
);
-- A number belongs to one line across all accounts: the inbound webhook finds the line by it.
CREATE UNIQUE INDEX lines_phone_uniq ON lines(phone_number);
CREATE INDEX lines_account_idx ON lines(account_id);

CREATE TABLE contacts (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id          uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name                text NOT NULL,
  phone               text,                 -- E.164
  email               text,
  pager_number        text,
  push_token          text,
  timezone            text,
  on_duty             boolean NOT NULL DEFAULT true,
  opted_out_channels  text[] NOT NULL DEFAULT '{}',   -- sms, email, voice, push
  do_not_contact      boolean NOT NULL DEFAULT false,
  status              text NOT NULL DEFAULT 'active',
  custom_fields       jsonb NOT NULL DEFAULT '{}',
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_phone_uniq ON contacts(account_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX contacts_account_idx ON contacts(account_id, created_at, id);

CREATE TABLE groups (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX groups_name_uniq ON groups(account_id, lower(name));

CREATE TABLE group_members (
  group_id    uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  contact_id  uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, contact_id)
);
CREATE INDEX group_members_contact_idx ON group_members(contact_id);

CREATE TABLE workflows (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id       uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name             text NOT NULL,
  description      text NOT NULL DEFAULT '',
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
  current_version  integer NOT NULL DEFAULT 1,
  -- Denormalised from the current version so codes stay unique per account, by keypad digits too.
  code             text,
  code_digits      text,
  code_line_id     uuid REFERENCES lines(id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  deleted_at       timestamptz
);
CREATE UNIQUE INDEX workflows_name_uniq ON workflows(account_id, lower(name)) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX workflows_code_digits_uniq ON workflows(account_id, code_digits) WHERE deleted_at IS NULL AND code_digits IS NOT NULL;

CREATE TABLE workflow_versions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_id  uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  version      integer NOT NULL,
  definition   jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, version)
);

-- A phone line hosts at most one conference action across the account's workflows.
CREATE TABLE workflow_conference_lines (
  line_id      uuid PRIMARY KEY REFERENCES lines(id) ON DELETE CASCADE,
  workflow_id  uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE
);

CREATE TABLE activations (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id           uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  workflow_id          uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  workflow_version_id  uuid NOT NULL REFERENCES workflow_versions(id),
  workflow_version     integer NOT NULL,
  source               text NOT NULL,
  idempotency_key      text NOT NULL,
  request_hash         text,
  placeholders         jsonb NOT NULL DEFAULT '{}',
  inbound_message      text,
  recording_url        text,
  context              jsonb NOT NULL DEFAULT '{}',
  status               text NOT NULL DEFAULT 'queued'
                       CHECK (status IN ('queued', 'planning', 'running', 'completed', 'failed')),
  recipient_count      integer,
  error                text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  planned_at           timestamptz,
  completed_at         timestamptz,
  UNIQUE (account_id, idempotency_key)
);
CREATE INDEX activations_account_created_idx ON activations(account_id, created_at DESC, id);
CREATE INDEX activations_workflow_idx ON activations(workflow_id, created_at DESC);

-- Transactional outbox: written with the row it announces, relayed to Redis, swept if Redis lost it.
CREATE TABLE outbox (
  id             bigserial PRIMARY KEY,
  topic          text NOT NULL,
  ref_id         text NOT NULL,
  payload        jsonb NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now(),
  available_at   timestamptz NOT NULL DEFAULT now(),
  dispatched_at  timestamptz,
  completed_at   timestamptz,
  attempts       integer NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending_idx ON outbox(available_at) WHERE dispatched_at IS NULL;
CREATE INDEX outbox_incomplete_idx ON outbox(dispatched_at) WHERE completed_at IS NULL;
CREATE UNIQUE INDEX outbox_topic_ref_uniq ON outbox(topic, ref_id);

CREATE TABLE deliveries (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id      uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  activation_id   uuid NOT NULL REFERENCES activations(id) ON DELETE CASCADE,
  action_id       text NOT NULL,
  recipient_key   text NOT NULL,            -- contact id, or a fixed key for non-person targets
  contact_id      uuid REFERENCES contacts(id) ON DELETE SET NULL,
  channel         text NOT NULL CHECK (channel IN ('sms', 'email', 'push', 'voice', 'conference', 'pager', 'webhook')),
  address         text,
  status          text NOT NULL DEFAULT 'pending',
  skip_reason     text,
  provider        text,
  provider_id     text,
  error_code      text,
  error_message   text,
  attempts        integer NOT NULL DEFAULT 0,
  claim_token     uuid,
  claimed_at      timestamptz,
  sent_at         timestamptz,
  final_at        timestamptz,
  last_sequence   integer,
  payload         jsonb NOT NULL DEFAULT '{}',
  meta            jsonb NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (activation_id, action_id, recipient_key, channel)
);
CREATE INDEX deliveries_provider_idx ON deliveries(provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX deliveries_activation_idx ON deliveries(activation_id);
CREATE INDEX deliveries_contact_idx ON deliveries(contact_id, created_at DESC);

CREATE TABLE delivery_events (
  id           bigserial PRIMARY KEY,
  delivery_id  uuid NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  account_id   uuid NOT NULL,
  status       text NOT NULL,
  detail       jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_events_delivery_idx ON delivery_events(delivery_id, id);

-- Every inbound and outbound message: the conversation history.
CREATE TABLE messages (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id     uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  contact_id     uuid REFERENCES contacts(id) ON DELETE SET NULL,
  line_id        uuid REFERENCES lines(id) ON DELETE SET NULL,
  direction      text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  channel        text NOT NULL CHECK (channel IN ('sms', 'email', 'voice', 'push')),
  from_address   text,
  to_address     text,
  body           text NOT NULL DEFAULT '',
  provider_id    text,
  status         text,
  activation_id  uuid REFERENCES activations(id) ON DELETE SET NULL,
  delivery_id    uuid REFERENCES deliveries(id) ON DELETE SET NULL,
  meta           jsonb NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX messages_provider_uniq ON messages(account_id, direction, provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX messages_contact_idx ON messages(contact_id, created_at DESC);
CREATE INDEX messages_account_idx ON messages(account_id, created_at DESC);

CREATE TABLE calls (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id         uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  line_id            uuid REFERENCES lines(id) ON DELETE SET NULL,
  contact_id         uuid REFERENCES contacts(id) ON DELETE SET NULL,
  provider_call_id   text NOT NULL,
  direction          text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  from_number        text,
  to_number          text,
  source             text,
  status             text NOT NULL DEFAULT 'ringing',
  outcome            text,                  -- answered | missed
  started_at         timestamptz NOT NULL DEFAULT now(),
  answered_at        timestamptz,
  ended_at           timestamptz,
  duration_seconds   integer,
  recording_url      text,
  last_sequence      integer,
  meta               jsonb NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider_call_id)
);
CREATE INDEX calls_account_idx ON calls(account_id, started_at DESC);
CREATE INDEX calls_caller_idx ON calls(account_id, from_number, started_at DESC);

CREATE TABLE attachments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id    uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  short_code    text NOT NULL UNIQUE,
  filename      text NOT NULL,
  content_type  text NOT NULL,
  size_bytes    integer NOT NULL,
  data          bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
-- Forward-only: Switchboard never migrates down in production.
