-- Up Migration
-- Issue 16: the prompt library. An account's saved prompts (name, text, model settings), each
-- edit a new immutable version like workflows. A workflow version pins the prompt version it was
-- saved with (its definition keeps promptId, promptVersion and the text), so an activation runs
-- exactly what that workflow version was saved with.

CREATE TABLE prompts (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id       uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name             text NOT NULL,
  current_version  integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  deleted_at       timestamptz
);
CREATE UNIQUE INDEX prompts_name_uniq ON prompts(account_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX prompts_account_idx ON prompts(account_id, created_at, id);

CREATE TABLE prompt_versions (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  prompt_id   uuid NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
  account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  version     integer NOT NULL,
  text        text NOT NULL,
  -- The prompt runner's settings: { model?, maxOutputChars?, temperature? } (absent: the server's defaults).
  settings    jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (prompt_id, version)
);

-- Down Migration
-- Forward-only.
