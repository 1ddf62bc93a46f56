DROP INDEX {schema}.jobs_running_idx;
CREATE INDEX jobs_running_idx ON {schema}.jobs (heartbeat_at) WHERE state = 'running';
DROP INDEX {schema}.jobs_state_idx;
CREATE INDEX jobs_state_idx ON {schema}.jobs (state, queue, id);
