-- Up Migration
-- Callbacks (issue 16): rule actions that call a lead back and connect an agent, and the
-- contact's last call time, kept on the contact so rules can time actions from it cheaply.

-- The contact's latest call, inbound or outbound, on any path that writes `calls` (inbound
-- webhook, call tracking, outbound calls' status callbacks): a trigger, so no writer can forget
-- it. A call without contact_id is matched by the remote number (caller inbound, callee outbound).
ALTER TABLE contacts ADD COLUMN last_called_at timestamptz;

CREATE FUNCTION contacts_stamp_last_called() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.contact_id IS NOT NULL THEN
    UPDATE contacts SET last_called_at = NEW.started_at
     WHERE id = NEW.contact_id AND (last_called_at IS NULL OR last_called_at < NEW.started_at);
  ELSE
    UPDATE contacts SET last_called_at = NEW.started_at
     WHERE account_id = NEW.account_id
       AND phone = CASE WHEN NEW.direction = 'inbound' THEN NEW.from_number ELSE NEW.to_number END
       AND (last_called_at IS NULL OR last_called_at < NEW.started_at);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER calls_stamp_last_called AFTER INSERT OR UPDATE OF contact_id, started_at ON calls
  FOR EACH ROW EXECUTE FUNCTION contacts_stamp_last_called();

UPDATE contacts c SET last_called_at = x.at
  FROM (SELECT k.id, max(l.started_at) AS at FROM contacts k
          JOIN calls l ON l.account_id = k.account_id
                      AND (l.contact_id = k.id OR (l.contact_id IS NULL AND k.phone IS NOT NULL
                           AND k.phone = CASE WHEN l.direction = 'inbound' THEN l.from_number ELSE l.to_number END))
         GROUP BY k.id) x
 WHERE c.id = x.id;

-- One callback per rule action run (`pending_id` unique: a re-run action schedules nothing
-- twice). Claimed `scheduled -> calling` with a conditional UPDATE (SKIP LOCKED), together with
-- the agent-call delivery, so it is placed once whatever the number of worker processes.
CREATE TABLE callbacks (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id      uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  contact_id      uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  rule_id         uuid REFERENCES rules(id) ON DELETE SET NULL,
  pending_id      uuid REFERENCES rule_pending_actions(id) ON DELETE SET NULL,
  action_id       text,
  event_id        uuid,
  chain_depth     integer NOT NULL DEFAULT 0,
  kind            text NOT NULL CHECK (kind IN ('scheduled', 'immediate')),
  line_id         uuid NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
  agent_group_id  uuid REFERENCES groups(id) ON DELETE SET NULL,
  agent_number    text,
  whisper         text NOT NULL,
  schedule_window text NOT NULL DEFAULT 'always',
  status          text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'calling', 'completed', 'failed', 'cancelled')),
  due_at          timestamptz NOT NULL,
  agents          text[] NOT NULL DEFAULT '{}',
  agent_index     integer NOT NULL DEFAULT 0,
  delivery_id     uuid,
  answered_by     text,
  reason          text,
  talk_seconds    integer,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  claimed_at      timestamptz,
  finished_at     timestamptz,
  UNIQUE (pending_id)
);
CREATE INDEX callbacks_due_idx ON callbacks(due_at) WHERE status = 'scheduled';
CREATE INDEX callbacks_calling_idx ON callbacks(claimed_at) WHERE status = 'calling';
CREATE INDEX callbacks_contact_idx ON callbacks(account_id, contact_id, due_at);
CREATE INDEX callbacks_account_idx ON callbacks(account_id, due_at, id);

-- Down Migration
-- Forward-only.
