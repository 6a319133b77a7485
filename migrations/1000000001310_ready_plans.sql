-- Up Migration
-- One send path (src/engine/ready-plans.ts): a feature that renders its own messages (rule actions,
-- sequence steps, post-call workflows, sender reports) stores them on its activation as a ready
-- plan, written with the activation and its outbox row in the feature's transaction; the planner
-- expands it into delivery rows exactly like a workflow's actions. NULL for workflow activations.
ALTER TABLE activations ADD COLUMN ready_plan jsonb;

-- Down Migration
-- Forward-only.
