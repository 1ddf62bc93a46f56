-- Queues schema, version 6: unique jobs. A unique job carries a key (a SHA-256 of its name and the payload values or
-- per-call key that make it unique) and the states in which it blocks another job with the same key. The partial
-- unique index holds exactly the rows that block, so an enqueue's INSERT ... ON CONFLICT DO NOTHING, in the caller's
-- transaction, is the whole check: concurrent enqueuers wait for each other's commit instead of racing.
-- Unfinished states always block, so a row only ever leaves the index by finishing (never re-enters it on its own);
-- the one exception, an administrator's retry of a finished job, reports a conflict instead of breaking uniqueness.
ALTER TABLE {schema}.jobs
    ADD COLUMN unique_key    bytea,
    ADD COLUMN unique_states text[];

CREATE UNIQUE INDEX jobs_unique_key_idx ON {schema}.jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state = ANY (unique_states);
