-- Queues schema, version 10: fewer index writes on the hot path. An UPDATE that changes an indexed column (or one in a
-- partial index's predicate) writes a new entry in every index of the table; state is in every partial index, so each
-- claim and completion pays for all of them.
-- * jobs_state_idx (state, queue, id) held every row, and a completion added one more entry for each job. Completed
--   jobs, the bulk of the table, are now left out: a completion writes one index entry fewer (measured: a batch of
--   completions 25 % cheaper), and the index stays the size of the unfinished, discarded and cancelled jobs that
--   summaries, health checks and the dashboard look up by state. Completed jobs are listed newest first through the
--   primary key, where they are dense.
-- * jobs_running_idx was on heartbeat_at, which the heartbeat rewrites: no heartbeat could be a HOT update. It is now
--   on attempted_by, set once by the claim, which is what the rescue, the node view and a worker's look for its own
--   untracked rows filter on; the running set it covers is small.
DROP INDEX {schema}.jobs_state_idx;
CREATE INDEX jobs_state_idx ON {schema}.jobs (state, queue, id) WHERE state <> 'completed';
DROP INDEX {schema}.jobs_running_idx;
CREATE INDEX jobs_running_idx ON {schema}.jobs (attempted_by) WHERE state = 'running';
