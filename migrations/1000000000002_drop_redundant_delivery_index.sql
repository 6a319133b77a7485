-- Up Migration
-- deliveries(activation_id) duplicates the leading column of the unique key
-- (activation_id, action_id, recipient_key, channel), which serves every lookup by activation.
-- One index less to write on each delivery insert and status update (the fan-out hot path).
DROP INDEX IF EXISTS deliveries_activation_idx;
