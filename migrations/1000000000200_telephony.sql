-- Up Migration
-- Telephony gateway: the simulator provider's outbox, SMS opt-outs that also cover numbers
-- that are not contacts, and carrier sequence ordering for message status callbacks.

-- Every message and call the `simulator` provider "sent": nothing leaves the machine, but the
-- demo, the dashboard and `switchboard simulate` can show it. Scoped to an account through the
-- line that sent it (from_number = lines.phone_number).
CREATE TABLE simulator_outbox (
  id                   bigserial PRIMARY KEY,
  provider_id          text NOT NULL UNIQUE,
  kind                 text NOT NULL CHECK (kind IN ('sms', 'call')),
  from_number          text NOT NULL,
  to_number            text NOT NULL,
  body                 text,
  media_urls           text[] NOT NULL DEFAULT '{}',
  twiml_url            text,
  send_digits          text,
  status_callback_url  text,
  status               text NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simulator_outbox_from_idx ON simulator_outbox(from_number, id DESC);
CREATE INDEX simulator_outbox_to_idx ON simulator_outbox(to_number, created_at DESC);

-- STOP/START by SMS, per account and phone number. The authority every SMS send checks
-- (contacts.opted_out_channels gets 'sms' too when the number belongs to a contact).
CREATE TABLE sms_opt_outs (
  account_id    uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  phone         text NOT NULL,
  keyword       text NOT NULL,
  line_id       uuid REFERENCES lines(id) ON DELETE SET NULL,
  opted_out_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, phone)
);

-- Status callbacks arrive out of order: keep the highest carrier sequence applied.
ALTER TABLE messages ADD COLUMN last_sequence integer;
ALTER TABLE messages ADD COLUMN error_code text;
CREATE INDEX messages_outbound_provider_idx ON messages(provider_id) WHERE provider_id IS NOT NULL;

-- Down Migration
-- Forward-only.
