-- Queues schema, version 9: which process last wrote a node's row. Two processes configured with one WorkerName would
-- otherwise look like one node: each would see the other's running jobs as its own and, not tracking them, take them
-- for runs it lost track of. A worker that finds another live instance under its name says so and rescues nothing of
-- its own accord until it is alone again. Nullable: rows written by older builds have none.
ALTER TABLE {schema}.nodes ADD COLUMN instance uuid;
