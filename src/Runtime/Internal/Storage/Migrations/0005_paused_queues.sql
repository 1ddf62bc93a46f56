-- Queues schema, version 5: queues paused across all nodes. Workers do not claim from a paused queue; jobs keep
-- being enqueued and wait.
CREATE TABLE {schema}.paused_queues (
    queue     text        PRIMARY KEY,
    paused_at timestamptz NOT NULL DEFAULT now()
);
