-- Up Migration
-- The sweeper's safety net also completes `dispatched` activations whose last delivery became
-- final without the completing call (a process died between the two): it walks them by this index.
CREATE INDEX activations_dispatched_idx ON activations(created_at) WHERE status = 'dispatched';

-- Down Migration
-- Forward-only.
