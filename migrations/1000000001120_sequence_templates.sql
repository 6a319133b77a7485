-- Up Migration
-- Issue 15: an account's own sequence templates, next to the four built-in ones (which live in
-- code and are read-only). A template is a sequence definition to start from; it holds no secret.

CREATE TABLE sequence_templates (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id   uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  definition   jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sequence_templates_name_uniq ON sequence_templates(account_id, lower(name));
CREATE INDEX sequence_templates_account_idx ON sequence_templates(account_id, created_at, id);

-- Down Migration
-- Forward-only.
