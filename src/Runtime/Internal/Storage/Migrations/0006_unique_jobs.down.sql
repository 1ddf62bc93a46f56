-- Undoes version 6: unique keys are dropped with their index; the jobs stay, no longer unique.
DROP INDEX {schema}.jobs_unique_key_idx;
ALTER TABLE {schema}.jobs DROP COLUMN unique_key, DROP COLUMN unique_states;
