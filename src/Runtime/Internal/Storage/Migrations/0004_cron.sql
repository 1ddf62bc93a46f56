-- Queues schema, version 4: one row per periodic job and schedule time, so the leader enqueues each tick once even
-- when leadership changes hands mid-tick.
CREATE TABLE {schema}.cron_runs (
    name         text        NOT NULL,
    scheduled_at timestamptz NOT NULL,
    job_id       bigint,
    PRIMARY KEY (name, scheduled_at)
);
