ALTER TABLE {schema}.nodes DROP COLUMN instance;
