-- Up Migration
-- Issue 16: Dynamic Number Insertion. A website embeds Switchboard's snippet with the account's
-- public DNI key; each visitor is shown a tracking line's number from the pool of the source that
-- brought them (utm_source, click id, referrer; else the default / organic pool) and keeps it for
-- the session. A call to that number is attributed to the most recent session assigned it within
-- the session's window: its source and visitor data go onto the tracked call.

CREATE TABLE dni_settings (
  account_id       uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  -- Public (it is in the web page): reveals a number of the account's pools, nothing else.
  public_key       text NOT NULL UNIQUE,
  -- Web origins allowed to ask for numbers (CORS); empty = any origin.
  allowed_origins  text[] NOT NULL DEFAULT '{}',
  -- How long a visitor keeps a number after their last page view; also the attribution window.
  session_minutes  integer NOT NULL DEFAULT 30 CHECK (session_minutes BETWEEN 5 AND 1440),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dni_pools (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  source      text NOT NULL,                 -- recorded on the call (post-call "source" condition)
  is_default  boolean NOT NULL DEFAULT false, -- the organic pool: visitors no other pool matches
  match       jsonb NOT NULL DEFAULT '{}',    -- { utmSources, clickIds, referrerHosts }
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX dni_pools_source_uniq ON dni_pools(account_id, lower(source));
CREATE UNIQUE INDEX dni_pools_default_uniq ON dni_pools(account_id) WHERE is_default;

-- A line belongs to at most one pool, so a call to it is attributed to one source's sessions.
CREATE TABLE dni_pool_lines (
  line_id           uuid PRIMARY KEY REFERENCES lines(id) ON DELETE CASCADE,
  pool_id           uuid NOT NULL REFERENCES dni_pools(id) ON DELETE CASCADE,
  account_id        uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  position          integer NOT NULL,
  last_assigned_at  timestamptz
);
CREATE INDEX dni_pool_lines_pool_idx ON dni_pool_lines(pool_id, position);

-- One row per (visitor session, number): kept after expiry as the attribution history.
CREATE TABLE dni_assignments (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id     uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  pool_id        uuid REFERENCES dni_pools(id) ON DELETE SET NULL,
  line_id        uuid NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
  phone_number   text NOT NULL,
  visitor_id     text NOT NULL,
  source         text NOT NULL,
  utm_source     text,
  utm_medium     text,
  utm_campaign   text,
  referrer_host  text,
  click_id_type  text CHECK (click_id_type IN ('gclid', 'fbclid', 'msclkid')),
  click_id       text,
  landing_page   text,
  -- The pool had no free number: this one was still held by another session (least recently assigned).
  reused         boolean NOT NULL DEFAULT false,
  assigned_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL
);
CREATE INDEX dni_assignments_visitor_idx ON dni_assignments(account_id, visitor_id, expires_at DESC);
CREATE INDEX dni_assignments_line_idx ON dni_assignments(line_id, assigned_at DESC);

-- The session a tracked call was attributed to, and what it knew of the visitor.
ALTER TABLE tracked_calls
  ADD COLUMN dni_assignment_id uuid REFERENCES dni_assignments(id) ON DELETE SET NULL,
  ADD COLUMN visitor jsonb;

-- Down Migration
-- Forward-only.
