// The tests start worker processes and restart PostgreSQL; on a small machine they would only slow each other down.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
