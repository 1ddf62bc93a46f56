namespace Queues.Internal;

/// <summary>The statements of gauges and health checks: reads only, each bounded to unfinished jobs.</summary>
internal sealed partial class Sql
{
    private string? _queueStats;
    private string? _leaderLease;
    private string? _unservedQueues;
    private string? _oldSnapshots;

    /// <summary>
    /// Unfinished jobs by queue and state, and per (queue, available) how long the oldest has been due. Walks only
    /// unfinished rows (jobs_state_idx leads with state), never the completed history retention keeps.
    /// </summary>
    public string QueueStats => _queueStats ??= $"""
        SELECT queue, state, count(*),
               CASE WHEN state = 'available' THEN extract(epoch FROM now() - min(run_at))::float8 END
        FROM "{Schema}".jobs
        WHERE state IN {s_unfinished}
        GROUP BY queue, state
        """;

    /// <summary>The maintenance lease: its holder and whether it is still valid (no row: nobody ever led, or the last leader handed over).</summary>
    public string LeaderLease => _leaderLease ??= $"""
        SELECT holder, expires_at > now() FROM "{Schema}".leader WHERE name = 'maintenance'
        """;

    /// <summary>
    /// Queues holding jobs due for longer than $2 that no live worker serves: not paused, not in $1 (the queues this
    /// process serves), not among the queues of a node seen within $2, and with no job running.
    /// </summary>
    public string UnservedQueues => _unservedQueues ??= $"""
        WITH served AS (
            SELECT unnest($1::text[]) AS queue
            UNION SELECT unnest(queues) FROM "{Schema}".nodes WHERE seen_at > now() - $2
            UNION SELECT DISTINCT queue FROM "{Schema}".jobs WHERE state = 'running')
        SELECT j.queue, count(*), extract(epoch FROM now() - min(j.run_at))::float8
        FROM "{Schema}".jobs AS j
        WHERE j.state = 'available' AND j.run_at < now() - $2
          AND NOT EXISTS (SELECT 1 FROM served AS s WHERE s.queue = j.queue)
          AND NOT EXISTS (SELECT 1 FROM "{Schema}".paused_queues AS p WHERE p.queue = j.queue)
        GROUP BY j.queue
        ORDER BY j.queue
        """;

    /// <summary>
    /// Sessions of this database (other than this one) whose transaction holds back vacuum — it has a snapshot or an
    /// xid — and began more than $1 ago, oldest first. A role sees only its own sessions unless it has pg_read_all_stats
    /// (pg_monitor).
    /// </summary>
    public string OldSnapshots => _oldSnapshots ??= """
        SELECT pid, COALESCE(usename, ''), COALESCE(application_name, ''), COALESCE(state, ''),
               extract(epoch FROM now() - xact_start)::float8
        FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)
          AND xact_start < now() - $1
        ORDER BY xact_start
        LIMIT 5
        """;
}
