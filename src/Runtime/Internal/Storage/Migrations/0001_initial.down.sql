-- Undoes version 1: the jobs table and its indexes.
DROP TABLE {schema}.jobs;
