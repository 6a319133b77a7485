-- Up Migration
-- Issue 18 (engine speed): each text writes a delivery row, its conversation-history row and (at
-- its outcome) a delivery event, and PostgreSQL checked every foreign key of each of those rows
-- one row at a time: 9 look-ups and row locks per text (account, activation, contact; account,
-- activation, contact, delivery, line; delivery). Measured on 10,000 texts (PostgreSQL 15, the
-- planner's insert of deliveries + history rows): 496-754 ms with the checks, 226-240 ms without;
-- the events insert 82-116 ms against 44-55 ms. These rows are only ever written by the engine,
-- from parents it has just read, so the checks are dropped; what the keys did when a parent is
-- deleted is kept by triggers on the parents (one statement per deleted batch, not per row):
--   account deleted    -> its deliveries, history rows and delivery events go
--   activation deleted -> its deliveries (and their events) go; history rows keep, unlinked
--   delivery deleted   -> its events go; its history row keeps, unlinked
--   contact deleted    -> its deliveries and history rows keep, unlinked (contact_id NULL)
--   line deleted       -> history rows keep, unlinked (line_id NULL)
-- What is no longer guaranteed: a row written at the same moment its parent is deleted (a contact
-- deleted while a broadcast to it is being planned) keeps the parent's id. The engine reads those
-- ids with LEFT JOINs (a missing contact shows without a name), and no code deletes accounts or
-- activations.
ALTER TABLE deliveries
  DROP CONSTRAINT deliveries_account_id_fkey,
  DROP CONSTRAINT deliveries_activation_id_fkey,
  DROP CONSTRAINT deliveries_contact_id_fkey;
ALTER TABLE messages
  DROP CONSTRAINT messages_account_id_fkey,
  DROP CONSTRAINT messages_activation_id_fkey,
  DROP CONSTRAINT messages_contact_id_fkey,
  DROP CONSTRAINT messages_delivery_id_fkey,
  DROP CONSTRAINT messages_line_id_fkey;
ALTER TABLE delivery_events DROP CONSTRAINT delivery_events_delivery_id_fkey;

CREATE FUNCTION sb_account_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM deliveries WHERE account_id IN (SELECT id FROM gone);
  DELETE FROM messages WHERE account_id IN (SELECT id FROM gone);
  DELETE FROM delivery_events WHERE account_id IN (SELECT id FROM gone);
  RETURN NULL;
END $$;
CREATE TRIGGER accounts_deleted AFTER DELETE ON accounts
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION sb_account_deleted();

CREATE FUNCTION sb_activation_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM deliveries WHERE activation_id IN (SELECT id FROM gone);
  UPDATE messages SET activation_id = NULL WHERE activation_id IN (SELECT id FROM gone);
  RETURN NULL;
END $$;
CREATE TRIGGER activations_deleted AFTER DELETE ON activations
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION sb_activation_deleted();

CREATE FUNCTION sb_delivery_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM delivery_events WHERE delivery_id IN (SELECT id FROM gone);
  UPDATE messages SET delivery_id = NULL WHERE delivery_id IN (SELECT id FROM gone);
  RETURN NULL;
END $$;
CREATE TRIGGER deliveries_deleted AFTER DELETE ON deliveries
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION sb_delivery_deleted();

CREATE FUNCTION sb_contact_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE deliveries SET contact_id = NULL WHERE contact_id IN (SELECT id FROM gone);
  UPDATE messages SET contact_id = NULL WHERE contact_id IN (SELECT id FROM gone);
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_deleted AFTER DELETE ON contacts
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION sb_contact_deleted();

CREATE FUNCTION sb_line_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE messages SET line_id = NULL WHERE line_id IN (SELECT id FROM gone);
  RETURN NULL;
END $$;
CREATE TRIGGER lines_deleted AFTER DELETE ON lines
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION sb_line_deleted();

-- Down Migration
-- Forward-only.
