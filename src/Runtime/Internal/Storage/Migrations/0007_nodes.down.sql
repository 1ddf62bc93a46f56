DROP INDEX {schema}.jobs_available_queue_idx;
DROP INDEX {schema}.jobs_finalized_idx;
ALTER TABLE {schema}.jobs DROP CONSTRAINT jobs_attempt_max;
DROP TABLE {schema}.nodes;
