-- Undoes version 2.
DROP INDEX {schema}.jobs_running_idx;
