-- Up Migration
-- Issue 18 (engine speed): the delivery worker's claim asks, for every text, whether a contact
-- with that number is flagged do-not-contact (src/engine/contact-refusals-repo.ts). Through
-- contacts_phone_uniq that was a probe plus a visit to the contact's row for every send; flagged
-- contacts are few, so this index is nearly empty and the answer comes from the index alone.
CREATE INDEX contacts_do_not_contact_phone_idx ON contacts(account_id, phone) WHERE do_not_contact;

-- Down Migration
-- Forward-only.
