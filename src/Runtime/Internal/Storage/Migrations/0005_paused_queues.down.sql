-- Undoes version 5: every queue is resumed.
DROP TABLE {schema}.paused_queues;
