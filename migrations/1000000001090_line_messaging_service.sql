-- Up Migration
-- Issue 17: a Twilio line may send its texts through a Twilio Messaging Service (Messages are
-- created with MessagingServiceSid instead of From; Twilio picks the sender from the service's
-- pool). Calls still come from the line's own number.
ALTER TABLE lines ADD COLUMN messaging_service_sid text;
ALTER TABLE lines ADD CONSTRAINT lines_messaging_service_sid_format
  CHECK (messaging_service_sid IS NULL OR messaging_service_sid ~ '^MG[0-9a-fA-F]{32}$');
ALTER TABLE lines ADD CONSTRAINT lines_messaging_service_twilio_only
  CHECK (messaging_service_sid IS NULL OR provider = 'twilio');

-- Down Migration
