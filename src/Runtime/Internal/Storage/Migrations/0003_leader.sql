-- Queues schema, version 3: the lease through which one worker per schema is elected to run maintenance.
-- UNLOGGED: a lease is worth nothing after a crash, and renewing it should not write WAL.
CREATE UNLOGGED TABLE {schema}.leader (
    name       text        PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);
