-- Up Migration
-- The BullMQ job that carries an outbox row's activation when that is not the activation's own
-- job: schedule firing queues one planner job per batch of activations and writes the batch's
-- job id with each outbox row, in the statement that creates them. The sweeper asks Redis about
-- this job (and the activation's own one) before queuing the activation again. NULL: the job id
-- is the activation id (ref_id), as before.
ALTER TABLE outbox ADD COLUMN job_id text;

-- The unique key (workflow_id, occurrence) already serves "a workflow's runs, newest first"
-- (a btree is read backwards); this second index was one more index write per recorded run.
DROP INDEX IF EXISTS schedule_runs_workflow_idx;

-- Down Migration
-- Forward-only.
