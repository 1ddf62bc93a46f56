-- Queues schema, version 2: the rescue query finds running jobs whose worker stopped heartbeating.
CREATE INDEX jobs_running_idx ON {schema}.jobs (heartbeat_at) WHERE state = 'running';
