using System.Globalization;

namespace Queues.Internal;

/// <summary>
/// The operator's statements (dashboard, CLI): summaries that must stay fast on a table of millions of finished jobs,
/// bulk actions in bounded batches, and migration rollback. Built from <see cref="Schema"/> on first use.
/// </summary>
internal sealed partial class Sql
{
    private string JobsTable => $"\"{Schema}\".jobs";

    /// <summary>
    /// Unfinished jobs per queue and state, and the oldest available run-at per queue. Only unfinished rows are read,
    /// and only their state and queue (an index-only scan of <c>jobs_state_idx</c>), so the millions of finished rows a
    /// busy table holds cost nothing; the oldest run-at is one probe per queue. Paused queues with no jobs are listed too.
    /// </summary>
    public string QueueSummaries => field ??= $"""
        WITH counts AS (
            SELECT queue, state, count(*) AS n
            FROM {JobsTable}
            WHERE state IN {s_unfinished}
            GROUP BY queue, state),
        per_queue AS (
            SELECT queue, array_agg(state::text) AS states, array_agg(n) AS counts, bool_or(state = 'available') AS has_available
            FROM counts GROUP BY queue)
        SELECT coalesce(c.queue, p.queue), coalesce(c.states, ARRAY[]::text[]), coalesce(c.counts, ARRAY[]::bigint[]), o.run_at, p.queue IS NOT NULL
        FROM per_queue AS c
        FULL JOIN "{Schema}".paused_queues AS p ON p.queue = c.queue
        LEFT JOIN LATERAL (
            SELECT j.run_at FROM {JobsTable} AS j WHERE j.state = 'available' AND j.queue = c.queue AND c.has_available
            ORDER BY j.run_at LIMIT 1) AS o ON true
        ORDER BY 1
        """;

    /// <summary>
    /// Whether queue $1 is known, so a pause or resume of it is not a typo: it is paused, a worker node lists it among
    /// the queues it serves, or a job of it is in a state other than completed (each state one probe of
    /// <c>jobs_state_idx</c>, which leaves completed jobs out; a queue whose only jobs completed is not looked for, since
    /// finding one would mean scanning the completed history).
    /// </summary>
    public string QueueKnown => field ??= $"""
        SELECT EXISTS (SELECT 1 FROM "{Schema}".paused_queues WHERE queue = $1)
            OR EXISTS (SELECT 1 FROM "{Schema}".nodes WHERE $1 = ANY (queues))
            OR EXISTS (SELECT 1 FROM {JobsTable} WHERE state IN {s_notCompleted} AND queue = $1)
        """;

    private static readonly string s_notCompleted = JobStates.SqlList(Enum.GetValues<JobState>().Where(static s => s != JobState.Completed));

    /// <summary>The planner's row count of the jobs table (<c>pg_class.reltuples</c>): -1 before the first ANALYZE.</summary>
    public string EstimatedRows => field ??= $"SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass('{JobsTable}')";

    /// <summary>
    /// Finished jobs per state, estimated from the planner's statistics (row estimate times the state's frequency in
    /// <c>pg_stats</c>): an exact count would read every finished row, which on a big table takes seconds. $1: the schema.
    /// </summary>
    public string EstimatedFinishedByState => field ??= $"""
        SELECT s.state, round(c.reltuples * s.freq)::bigint
        FROM pg_class AS c
        JOIN pg_stats AS st ON st.schemaname = $1 AND st.tablename = 'jobs' AND st.attname = 'state'
        CROSS JOIN LATERAL unnest(st.most_common_vals::text::text[], st.most_common_freqs) AS s(state, freq)
        WHERE c.oid = to_regclass('{JobsTable}') AND s.state IN {s_finished}
        ORDER BY 1
        """;

    /// <summary>The final states counted exactly on a big table: those <c>jobs_state_idx</c> holds (it leaves completed out).</summary>
    public static readonly JobState[] CountedFinalStates = [JobState.Cancelled, JobState.Discarded];

    /// <summary>
    /// Exact counts of <see cref="CountedFinalStates"/>, each reading at most $1 entries of <c>jobs_state_idx</c>, so a
    /// count is exact up to $1 and the cost never grows past it; a count of $1 means "at least". The states are
    /// literals, one subquery each: with the state as a parameter the generic plan took a sequential scan (measured:
    /// 0.75 s against 25 ms on 4 million rows).
    /// </summary>
    public string CountStatesCapped => field ??= string.Join("\nUNION ALL\n", CountedFinalStates.Select(JobStates.ToText).Select(s => $"""
        SELECT '{s}', (SELECT count(*) FROM (SELECT 1 FROM {JobsTable} WHERE state = '{s}' LIMIT $1) AS x)
        """));

    /// <summary>Exact counts of finished jobs per state; used only while the table is small.</summary>
    public string CountFinishedByState => field ??= $"""
        SELECT state, count(*) FROM {JobsTable} WHERE state IN {s_finished} GROUP BY state ORDER BY state
        """;

    /// <summary>The available job that has waited longest (by run-at), in all queues ($1 null) or in queue $1.</summary>
    public string OldestAvailable => field ??= $"""
        SELECT id, name, queue, run_at FROM {JobsTable}
        WHERE state = 'available' AND ($1::text IS NULL OR queue = $1)
        ORDER BY run_at, id LIMIT 1
        """;

    /// <summary>
    /// The worker nodes: every row of <c>nodes</c> (each live worker upserts its own every heartbeat; the last seen time
    /// tells a live one from a gone one), any other worker still holding running jobs (through <c>jobs_running_idx</c>),
    /// and the holder of an unexpired maintenance lease. $1, the rescue threshold, decides liveness exactly as the
    /// rescue does: a node is alive when seen within it, a running job is stale when its heartbeat (a missing one
    /// counts) is older.
    /// </summary>
    public string Nodes => field ??= $"""
        WITH running AS (
            SELECT attempted_by AS node, count(*) AS jobs,
                   count(*) FILTER (WHERE coalesce(heartbeat_at, '-infinity') < now() - $1::interval) AS stale
            FROM {JobsTable} WHERE state = 'running' AND attempted_by IS NOT NULL
            GROUP BY attempted_by),
        lease AS (
            SELECT holder, expires_at FROM "{Schema}".leader WHERE name = 'maintenance' AND expires_at > now()),
        known AS (
            SELECT coalesce(n.name, r.node) AS node, coalesce(r.jobs, 0) AS jobs, coalesce(r.stale, 0) AS stale, n.seen_at AS seen
            FROM "{Schema}".nodes AS n FULL JOIN running AS r ON r.node = n.name)
        SELECT coalesce(k.node, l.holder), coalesce(k.jobs, 0), k.seen, l.holder IS NOT NULL, l.expires_at,
               coalesce(k.seen >= now() - $1::interval, false), coalesce(k.stale, 0)
        FROM known AS k FULL JOIN lease AS l ON l.holder = k.node
        ORDER BY 1
        """;

    /// <summary>The last recorded run of each periodic job in $1, through the primary key (name, scheduled_at).</summary>
    public string LastCronRuns => field ??= $"""
        SELECT n.name, r.scheduled_at, r.job_id
        FROM unnest($1::text[]) AS n(name)
        CROSS JOIN LATERAL (
            SELECT scheduled_at, job_id FROM "{Schema}".cron_runs AS c
            WHERE c.name = n.name ORDER BY scheduled_at DESC LIMIT 1) AS r
        """;

    // The bulk actions share one filter: $1 queue, $2 name, $3 states (always given: the caller intersects the filter's
    // states with those the action applies to), $4 created from, $5 created before, $6 ids, $7 the keyset cursor (only
    // ids below it), $8 finished from, $9 finished before, $10 the batch size. Each batch walks down the ids, so a
    // retried job that fails again at once is not picked up a second time, and the loop ends. SKIP LOCKED: a row a
    // worker holds right now is left for it.
    private const string MatchingFilter = """
        ($1::text IS NULL OR queue = $1)
          AND ($2::text IS NULL OR name = $2)
          AND state = ANY($3::text[])
          AND ($4::timestamptz IS NULL OR created_at >= $4)
          AND ($5::timestamptz IS NULL OR created_at < $5)
          AND ($6::bigint[] IS NULL OR id = ANY($6))
          AND ($7::bigint IS NULL OR id < $7)
          AND ($8::timestamptz IS NULL OR finalized_at >= $8)
          AND ($9::timestamptz IS NULL OR finalized_at < $9)
        """;

    /// <summary>A retry may take a row (alias <c>t</c>) only when no other job holds its unique key now.</summary>
    private string UniqueKeyFree => $"""
        NOT (t.unique_key IS NOT NULL AND EXISTS (
                  SELECT 1 FROM {JobsTable} AS o WHERE o.unique_key = t.unique_key AND o.id <> t.id AND o.state = ANY (o.unique_states)))
        """;

    /// <summary>How many jobs a cancel or delete would take now: the filter with no cursor ($7 null).</summary>
    public string CountMatching => field ??= $"SELECT count(*) FROM {JobsTable} AS t WHERE {MatchingFilter}";

    /// <summary>How many jobs a retry would take now: as <see cref="CountMatching"/>, less the unique jobs it would skip.</summary>
    public string CountRetryMatching => field ??= $"SELECT count(*) FROM {JobsTable} AS t WHERE {MatchingFilter} AND {UniqueKeyFree}";

    /// <summary>How many finished jobs finished before $1: what <c>DeleteFinished</c> batches would take.</summary>
    public string CountFinishedBefore => field ??= $"""
        SELECT count(*) FROM {JobsTable} WHERE state IN {s_finished} AND finalized_at < $1
        """;

    /// <summary>
    /// Retries a batch of discarded or cancelled jobs matching the filter; a unique job whose key another job holds now
    /// is skipped (retrying it alone reports the holder). Returns the batch's size and lowest id.
    /// </summary>
    public string RetryMatching => field ??= $"""
        WITH target AS (
            SELECT id FROM {JobsTable} AS t
            WHERE {MatchingFilter}
              AND {UniqueKeyFree}
            ORDER BY id DESC
            LIMIT $10
            FOR UPDATE SKIP LOCKED),
        done AS (
            UPDATE {JobsTable} AS j
            SET state = 'available', run_at = now(), finalized_at = NULL, attempted_by = NULL, {RetryAttempts}
            FROM target WHERE j.id = target.id
            RETURNING j.id, j.queue)
        SELECT count(*)::int, min(id), array_agg(DISTINCT queue) FROM done
        """;

    /// <summary>Cancels a batch of unfinished jobs matching the filter, recording $11 as the reason.</summary>
    public string CancelMatching => field ??= Finish($"""
        target AS (
            SELECT id FROM {JobsTable}
            WHERE {MatchingFilter}
            ORDER BY id DESC
            LIMIT $10
            FOR UPDATE SKIP LOCKED),
        """, $"""
        UPDATE {JobsTable} AS j
            SET state = 'cancelled', finalized_at = now(),
                errors = j.errors || jsonb_build_array(jsonb_build_object('attempt', j.attempt, 'at', now(), 'kind', 'cancelled', 'message', $11::text))
            FROM target WHERE j.id = target.id
            RETURNING j.id, j.state
        """, "SELECT count(*)::int, min(id), NULL::text[] FROM finished");

    /// <summary>Deletes a batch of jobs matching the filter (never running ones: the caller leaves that state out).</summary>
    public string DeleteMatching => field ??= $"""
        WITH target AS (
            SELECT id FROM {JobsTable}
            WHERE {MatchingFilter}
            ORDER BY id DESC
            LIMIT $10
            FOR UPDATE SKIP LOCKED),
        done AS (
            DELETE FROM {JobsTable} AS j USING target WHERE j.id = target.id
            RETURNING j.id)
        SELECT count(*)::int, min(id), NULL::text[] FROM done
        """;

    /// <summary>
    /// Failures over a window, grouped by reason: the discarded jobs that finished in [$1, $2) (a range of
    /// <c>jobs_finalized_idx</c>, newest first) and the retryable jobs whose last failure is in it (through
    /// <c>jobs_state_idx</c>: the retryable set is unfinished work, not history), in queue $3 or all ($3 null), each part
    /// at most $4 rows — the statement's cost is bounded by the window's failures and by $4, never by the table. A reason
    /// is the job's queue and name and its last error's kind, type and message, the message cut to its first line, runs
    /// of digits and long hex/uuid tokens made <c>#</c> (so "order 1234" and "order 5678" are one reason) and cut to
    /// 120 characters. Returns one row per reason with exact counts per state over the rows read, and the rows read per
    /// state, so the caller knows whether a part reached $4.
    /// </summary>
    public string FailureGroups => field ??= $$"""
        WITH failed AS (
            (SELECT queue, name, state, errors -> -1 AS e, finalized_at AS at
             FROM {{JobsTable}}
             WHERE finalized_at >= $1 AND finalized_at < $2 AND state = 'discarded' AND ($3::text IS NULL OR queue = $3)
             ORDER BY finalized_at DESC
             LIMIT $4)
            UNION ALL
            (SELECT queue, name, state, e, at FROM (
                SELECT queue, name, state, errors -> -1 AS e, (errors -> -1 ->> 'at')::timestamptz AS at
                FROM {{JobsTable}}
                WHERE state = 'retryable' AND ($3::text IS NULL OR queue = $3)) AS r
             WHERE at >= $1 AND at < $2
             LIMIT $4)),
        reasons AS (
            SELECT queue, name, state, at, coalesce(e ->> 'kind', '') AS kind, e ->> 'type' AS type,
                   left(regexp_replace(split_part(coalesce(e ->> 'message', ''), E'\n', 1),
                                       '[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|\m[0-9a-fA-F]{16,}\M|[0-9]+', '#', 'g'), 120) AS message
            FROM failed)
        SELECT queue, name, kind, type, message,
               count(*) FILTER (WHERE state = 'discarded'), count(*) FILTER (WHERE state = 'retryable'), min(at), max(at),
               sum(count(*) FILTER (WHERE state = 'discarded')) OVER ()::bigint, sum(count(*) FILTER (WHERE state = 'retryable')) OVER ()::bigint
        FROM reasons
        GROUP BY queue, name, kind, type, message
        ORDER BY count(*) DESC, max(at) DESC
        """;

    /// <summary>Forgets migration $1 after its down script ran.</summary>
    public string DeleteMigration => field ??= $"DELETE FROM {MigrationsTable} WHERE version = $1";

    /// <summary>
    /// The bookkeeping line of migration <paramref name="version"/> for a script a DBA runs by hand (no parameters
    /// there); the name is one of the embedded migration names, never user text.
    /// </summary>
    public string RecordMigrationLiteral(int version, string name)
        => string.Create(CultureInfo.InvariantCulture, $"INSERT INTO {MigrationsTable} (version, name) VALUES ({version}, '{name.Replace("'", "''", StringComparison.Ordinal)}')");
}
