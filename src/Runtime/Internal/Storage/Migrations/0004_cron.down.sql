-- Undoes version 4: the record of periodic runs (after a re-migrate, the current tick may be enqueued again).
DROP TABLE {schema}.cron_runs;
