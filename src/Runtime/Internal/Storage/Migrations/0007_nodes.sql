-- Queues schema, version 7: worker liveness recorded apart from job heartbeats, and the arithmetic kept in range.
-- Each worker process upserts its row every heartbeat from a thread of its own, so a process whose handlers starve
-- the thread pool still shows as alive; the rescuer takes a job from a worker only when that worker is gone (or the
-- job has gone unheartbeated for far longer than RescueAfter, which only a worker that lost track of it can cause).
CREATE TABLE {schema}.nodes (
    name       text        PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 500),
    queues     text[]      NOT NULL DEFAULT '{}',
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now()
);

-- A claim adds 1 to attempt (a smallint): a row edited by hand to the maximum would make every claim of its queue
-- fail. The claim also guards the addition; NOT VALID keeps this migration from failing on such a row.
ALTER TABLE {schema}.jobs ADD CONSTRAINT jobs_attempt_max CHECK (attempt < 32767) NOT VALID;

-- Finished jobs by time: retention, purges and the dashboard's throughput chart walk this instead of the whole table.
CREATE INDEX jobs_finalized_idx ON {schema}.jobs (finalized_at, state) WHERE finalized_at IS NOT NULL;

-- The oldest waiting job of each queue: one probe per queue (the claim index orders by priority first).
CREATE INDEX jobs_available_queue_idx ON {schema}.jobs (queue, run_at) WHERE state = 'available';
