-- Up Migration
-- One partial index serves both the completion check and the sweeper (open deliveries are few at
-- any time): a second one on updated_at made every claim and outcome update touch one more index.
DROP INDEX IF EXISTS deliveries_open_sweep_idx;

-- Down Migration
-- Forward-only.
