-- Up Migration
-- Issue 17: Web Push to the dashboard installed as a PWA on responders' phones.
-- A dashboard user may be linked to the contact they are (their alerts, their devices).
ALTER TABLE users ADD COLUMN contact_id uuid REFERENCES contacts(id) ON DELETE SET NULL;
CREATE UNIQUE INDEX users_contact_uniq ON users(contact_id) WHERE contact_id IS NOT NULL;

-- One browser push subscription (RFC 8030 endpoint + RFC 8291 keys) per device. The endpoint is
-- unique: a phone signed in as someone else moves its subscription to that person.
CREATE TABLE push_subscriptions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id    uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  contact_id    uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  user_id       uuid REFERENCES users(id) ON DELETE SET NULL,
  endpoint      text NOT NULL UNIQUE,
  p256dh        text NOT NULL,
  auth          text NOT NULL,
  device        text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz
);
CREATE INDEX push_subscriptions_contact_idx ON push_subscriptions(contact_id);

-- A poll can now be answered from a push notification (or the responder view).
ALTER TABLE poll_answers DROP CONSTRAINT poll_answers_channel_check;
ALTER TABLE poll_answers ADD CONSTRAINT poll_answers_channel_check CHECK (channel IN ('sms', 'voice', 'push'));

-- Down Migration
