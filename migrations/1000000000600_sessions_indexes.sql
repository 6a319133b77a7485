-- Up Migration
-- Dashboard sessions: sign-out-everywhere (disable user, password change) deletes by user, and
-- the periodic purge deletes by expiry.
CREATE INDEX IF NOT EXISTS sessions_user_idx ON sessions(user_id);
CREATE INDEX IF NOT EXISTS sessions_expires_idx ON sessions(expires_at);

-- Down Migration
-- Forward-only.
