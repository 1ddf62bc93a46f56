namespace Queues.Internal;

/// <summary>
/// Every SQL statement the runtime sends, with the (validated) schema substituted once. Parameters are positional
/// (<c>$1</c>…) so Npgsql sends the text unchanged.
/// </summary>
internal sealed partial class Sql
{
    /// <summary>
    /// The highest attempt a claim gives a run (attempt is a smallint, and a claim adds one). It is also the last attempt
    /// whatever max_attempts says: a failure or rescue at it discards the job, so a cap at the column's maximum cannot make
    /// a job retry forever with every run at the same attempt number, which the guard on outcomes needs unique.
    /// </summary>
    public const short AttemptCeiling = 32766;

    /// <summary>
    /// The attempt columns of a job retried by hand: one more attempt than it has used. A job at the ceiling starts its
    /// count again from 0 (one more at 32766 would repeat the attempt number of its last run, whose handler may still be
    /// running somewhere after a rescue).
    /// </summary>
    private const string RetryAttempts = """
        attempt = CASE WHEN attempt >= 32766 THEN 0 ELSE attempt END,
                max_attempts = CASE WHEN attempt >= 32766 THEN LEAST(max_attempts, 32766) ELSE GREATEST(max_attempts, attempt + 1) END
        """;

    public Sql(string schema)
    {
        Validate.SchemaName(schema, nameof(schema));
        Schema = schema;
        var jobs = $"\"{schema}\".jobs";

        // The common case: available now, no NOTIFY due. Defaults fill state and run_at.
        // The trace context is the last parameter of every insert: NULL unless an activity was current (docs/observability.md).
        Insert = $"INSERT INTO {jobs} (name, queue, priority, max_attempts, payload, trace_context) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

        // Available now and this client's NOTIFY for the queue is due; it is delivered at commit.
        InsertAndNotify = $"""
            WITH inserted AS (
                INSERT INTO {jobs} (name, queue, priority, max_attempts, payload, trace_context) VALUES ($1, $2, $3, $4, $5, $6)
                RETURNING id, queue)
            SELECT id, pg_notify('{NotifyChannel(schema)}', queue)::text FROM inserted
            """;

        // With a run-at or delay, on the transaction's clock. $8: whether this insert should wake workers (rate-limited
        // per queue by the client); only a job that is available at once is worth waking for.
        InsertScheduled = $"""
            WITH inserted AS (
                INSERT INTO {jobs} (name, queue, priority, max_attempts, payload, state, run_at, trace_context)
                SELECT $1, $2, $3, $4, $5, CASE WHEN t.run_at > now() THEN 'scheduled' ELSE 'available' END, t.run_at, $9
                FROM (SELECT COALESCE($6, now() + $7) AS run_at) AS t
                RETURNING id, queue, state)
            SELECT id, CASE WHEN $8 AND state = 'available' THEN pg_notify('{NotifyChannel(schema)}', queue)::text END
            FROM inserted
            """;

        // A unique job: the partial unique index decides, inside the caller's transaction. A conflict inserts nothing
        // (and notifies nothing); the caller then looks the holder up in a new statement, which sees it once committed.
        InsertUnique = $"""
            WITH inserted AS (
                INSERT INTO {jobs} (name, queue, priority, max_attempts, payload, state, run_at, unique_key, unique_states, trace_context)
                SELECT $1, $2, $3, $4, $5, CASE WHEN t.run_at > now() THEN 'scheduled' ELSE 'available' END, t.run_at, $9, $10, $11
                FROM (SELECT COALESCE($6, now() + $7) AS run_at) AS t
                ON CONFLICT DO NOTHING
                RETURNING id, queue, state)
            SELECT id, CASE WHEN $8 AND state = 'available' THEN pg_notify('{NotifyChannel(schema)}', queue)::text END
            FROM inserted
            """;

        FindUnique = $"SELECT id FROM {jobs} WHERE unique_key = $1 AND state = ANY (unique_states) ORDER BY id LIMIT 1";

        // Many unique jobs in one statement: duplicates of existing jobs and of earlier rows of the same call are skipped.
        // Rows go in key order (the first of each key in the call wins), so two concurrent calls with overlapping keys
        // wait for each other's keys in the same order instead of deadlocking.
        InsertUniqueMany = $"""
            WITH inserted AS (
                INSERT INTO {jobs} (name, queue, priority, max_attempts, payload, state, run_at, unique_key, unique_states, trace_context)
                SELECT $1, $2, $3, $4, p.payload, CASE WHEN t.run_at > now() THEN 'scheduled' ELSE 'available' END, t.run_at, p.key, $7, $10
                FROM unnest($5::jsonb[], $6::bytea[]) WITH ORDINALITY AS p(payload, key, n)
                CROSS JOIN (SELECT COALESCE($8, now() + $9) AS run_at) AS t
                ORDER BY p.key, p.n
                ON CONFLICT DO NOTHING
                RETURNING state)
            SELECT count(*)::int, count(*) FILTER (WHERE state = 'available')::int FROM inserted
            """;

        UniqueHolder = $"""
            SELECT o.id, o.state FROM {jobs} AS j JOIN {jobs} AS o ON o.unique_key = j.unique_key AND o.id <> j.id
            WHERE j.id = $1 AND o.state = ANY (o.unique_states)
            LIMIT 1
            """;

        Notify = $"SELECT pg_notify('{NotifyChannel(schema)}', $1)";
        Listen = $"LISTEN \"{NotifyChannel(schema)}\"";

        CopyJobs = $"COPY {jobs} (name, queue, priority, max_attempts, payload, trace_context) FROM STDIN (FORMAT BINARY)";
        CopyScheduledJobs = $"COPY {jobs} (name, queue, priority, max_attempts, payload, trace_context, state, run_at) FROM STDIN (FORMAT BINARY)";

        // Claims and completions commit asynchronously (no wait for the WAL flush): if PostgreSQL itself crashes, the
        // last few hundred milliseconds of them may be lost and those jobs run again, which at-least-once allows; in
        // exchange a claim does not wait for a disk flush before the handler starts.
        const string asyncCommit = "CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit";

        // attempt is a smallint: a row edited by hand to its maximum must not make the claim of its queue fail.
        const string nextAttempt = "CASE WHEN j.attempt < 32766 THEN j.attempt + 1 ELSE 32766 END";
        // The walk's ranges ($4 priorities, $5 run-ats, $6 ends: see ClaimWalk) in order; each range is one ordered
        // index scan from its start, and the ranges are disjoint and ascending, so rows come in claim order and the walk
        // stops at the limit without reading (or locking) the ranges after it.
        Claim = $"""
            WITH next AS MATERIALIZED (
                SELECT n.id FROM unnest($4::smallint[], $5::timestamptz[], $6::int[]) AS r(priority, run_at, next_priority)
                CROSS JOIN LATERAL (
                    SELECT c.id FROM {jobs} AS c
                    WHERE c.queue = $1 AND (c.priority, c.run_at) >= (r.priority, r.run_at) AND c.priority < r.next_priority
                      AND {Claimable("c", "$1")}
                    ORDER BY {ClaimOrder}
                    LIMIT $2
                    FOR UPDATE SKIP LOCKED) AS n
                LIMIT $2)
            UPDATE {jobs} AS j
            SET state = 'running', attempt = {nextAttempt}, attempted_at = now(), heartbeat_at = now(), attempted_by = $3
            FROM next {asyncCommit}
            WHERE j.id = next.id
            RETURNING {ClaimedColumns}
            """;

        // Makes the claims committed so far durable: a synchronous commit waits for the WAL flush up to its commit record,
        // which covers every asynchronous commit before it on this server. It must write WAL: PostgreSQL commits a
        // transaction that wrote none (SELECT txid_current() assigns an id and no more) asynchronously, without a flush
        // (measured: the flush LSN did not move). So it rewrites the heartbeat of $1, a row the claim just took: a HOT
        // update no other session waits on (the heartbeat leaves rows beaten within a quarter interval alone).
        FlushClaims = $"UPDATE {jobs} SET heartbeat_at = heartbeat_at WHERE id = $1";

        // The next claimable row of queue $1 (of every queue when null), claimed alone by id: how a fetch loop whose
        // claims keep failing isolates the row at fault, and how Queues.Testing's runner drains. The claim by id applies
        // the claim rule again: the queue may have been paused, or the row taken, since.
        NextAvailable = $"""
            SELECT c.id FROM {jobs} AS c
            WHERE ($1::text IS NULL OR c.queue = $1) AND {Claimable("c", "c.queue")}
            ORDER BY {ClaimOrder}
            LIMIT 1
            """;
        ClaimById = $"""
            UPDATE {jobs} AS j
            SET state = 'running', attempt = {nextAttempt}, attempted_at = now(), heartbeat_at = now(), attempted_by = $2
            WHERE j.id = $1 AND {Claimable("j", "j.queue")}
            RETURNING {ClaimedColumns}
            """;

        // A row that cannot be claimed, discarded without touching its attempt (whatever is wrong with the row).
        DiscardPoison = Finish("", $"""
            UPDATE {jobs} AS j SET state = 'discarded', finalized_at = now(),
                    errors = j.errors || jsonb_build_array(jsonb_build_object('attempt', j.attempt, 'at', now(), 'kind', '{ErrorKinds.Poison}', 'message', $2::text))
                WHERE j.id = $1 AND j.state = 'available'
                RETURNING j.id, j.state
            """, CountFinished);

        Promote = $"""
            WITH due AS MATERIALIZED (
                SELECT id FROM {jobs}
                WHERE state IN ('scheduled', 'retryable') AND run_at <= now()
                ORDER BY run_at, id
                LIMIT $1
                FOR UPDATE SKIP LOCKED)
            UPDATE {jobs} AS j SET state = 'available'
            FROM due
            WHERE j.id = due.id
            RETURNING j.queue
            """;

        var leader = $"\"{schema}\".leader";
        AcquireLease = $"""
            INSERT INTO {leader} AS l (name, holder, expires_at) VALUES ('maintenance', $1, now() + $2)
            ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
            WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
            RETURNING holder
            """;
        ReleaseLease = $"DELETE FROM {leader} WHERE name = 'maintenance' AND holder = $1";

        // Retention: finished jobs past their age, in bounded batches ($1 completed/cancelled cutoff, $2 discarded cutoff).
        Retain = $"""
            DELETE FROM {jobs}
            WHERE id IN (
                SELECT id FROM {jobs}
                WHERE (state IN ('completed', 'cancelled') AND finalized_at < now() - $1)
                   OR (state = 'discarded' AND finalized_at < now() - $2)
                ORDER BY id
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            """;

        ClaimCronRun = $"INSERT INTO \"{schema}\".cron_runs (name, scheduled_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        RecordCronRun = $"UPDATE \"{schema}\".cron_runs SET job_id = $3 WHERE name = $1 AND scheduled_at = $2";
        RetainCronRuns = $"DELETE FROM \"{schema}\".cron_runs WHERE scheduled_at < now() - interval '7 days'";

        const string error = "jsonb_build_array(jsonb_build_object('attempt', attempt, 'at', now(), 'kind', $3::text, 'type', $4::text, 'message', $5::text, 'trace', $6::text))";

        // The guard of every single outcome: this run, still running at this attempt. Written alone (outside a handler's
        // transaction), an outcome never waits for a row lock: the row is locked first with NOWAIT, which fails at once
        // (55P03) when another session holds it (an operator's open UPDATE, a report's SELECT … FOR UPDATE), and the
        // completer tries again later, so neither the job's slot nor a stop waits on someone else's transaction. In the
        // handler's transaction the outcome waits like the handler's own statements. The lock is the UPDATE's own (NO KEY
        // UPDATE: a foreign key's KEY SHARE on the row does not conflict), taken only while the row is this run's.
        // A run is looked up by its id, through the primary key. "(state = 'running') IS TRUE" means state = 'running'
        // (state is never null) but keeps the planner off the running-rows index (partial on that condition), which it
        // may pick while that index is small and keep in a cached plan: while a snapshot is held the index keeps an
        // entry for every job run since it began, and a lookup through it read them all (completions of a few thousand
        // jobs timed out after 30 s). Every lookup of running rows by id below says it this way.
        const string guard = $"WHERE id = $1 AND {IsRunning} AND attempt = $2";
        var guardNoWait = $"""
            WHERE id = (SELECT l.id FROM {jobs} AS l WHERE l.id = $1 AND (l.state = 'running') IS TRUE AND l.attempt = $2 FOR NO KEY UPDATE NOWAIT)
              AND {IsRunning} AND attempt = $2
            """;

        Fail = Finish("", $"""
            UPDATE {jobs} AS j SET
                    state = CASE WHEN attempt >= LEAST(max_attempts, {AttemptCeiling}) THEN 'discarded' ELSE 'retryable' END,
                    run_at = CASE WHEN attempt >= LEAST(max_attempts, {AttemptCeiling}) THEN run_at ELSE now() + $7 END,
                    finalized_at = CASE WHEN attempt >= LEAST(max_attempts, {AttemptCeiling}) THEN now() END,
                    errors = errors || {error}
                {guardNoWait}
                RETURNING j.id, j.state
            """, "SELECT state FROM finished");

        // After a failure write's guard did not match: whether the row already holds this attempt's failure (an earlier
        // try committed and only its reply was lost, so the retry found the row no longer running), and its state now.
        // NULL when it does not (the run was cancelled or rescued meanwhile). An attempt records one outcome, so its
        // number and kind identify it; a rescue records the kind 'rescued'.
        FailureRecorded = $"""
            SELECT state FROM {jobs}
            WHERE id = $1 AND EXISTS (
                SELECT 1 FROM jsonb_array_elements(errors) AS e WHERE e->>'attempt' = $2::text AND e->>'kind' = $3)
            """;

        // One run's outcome through the finish path, guarded (in the handler's transaction) or NOWAIT (alone); the
        // answer is how many rows it finished: 1, or 0 when the guard did not match.
        string FinishRun(string set, string where) => Finish("", $"UPDATE {jobs} AS j SET {set} {where} RETURNING j.id, j.state", CountFinished);

        var discard = $"state = 'discarded', finalized_at = now(), errors = errors || {error}";
        Discard = FinishRun(discard, guard);
        DiscardAlone = FinishRun(discard, guardNoWait);

        // One job finished in the handler's own transaction: committed with the handler's work, durably (no async commit).
        const string complete = "state = 'completed', finalized_at = now()";
        Complete = FinishRun(complete, guard);
        CompleteAlone = FinishRun(complete, guardNoWait);

        // Never waits for a row lock (SKIP LOCKED): a running row that another session holds locked (an operator's open
        // UPDATE, a report's SELECT … FOR UPDATE) must not hold up the completions batched with it. Returns the ids it
        // skipped that are still running at their attempt (locked), for the completer to retry; a run that was
        // cancelled or rescued meanwhile is neither completed nor returned. The fences (MATERIALIZED) keep the second
        // read of the table to the few rows skipped. Each row is looked up by its primary key (LATERAL, and see guard),
        // never by a scan of the running-rows index: while a snapshot is held, that index keeps an entry for every job
        // that ran since it began, and a join the planner chose to run over it cost 235 ms per batch after four minutes.
        CompleteMany = Finish($"""
            c AS MATERIALIZED (SELECT * FROM unnest($1::bigint[], $2::smallint[]) AS c(id, attempt)),
            mine AS MATERIALIZED (
                SELECT m.id FROM c CROSS JOIN LATERAL (
                    SELECT j.id FROM {jobs} AS j WHERE j.id = c.id AND j.attempt = c.attempt AND (j.state = 'running') IS TRUE
                    FOR NO KEY UPDATE OF j SKIP LOCKED) AS m),
            """, $"""
            UPDATE {jobs} AS j SET state = 'completed', finalized_at = now()
                FROM mine {asyncCommit}
                WHERE j.id = mine.id
                RETURNING j.id, j.state
            """, $"""
            , skipped AS MATERIALIZED (SELECT c.id, c.attempt FROM c WHERE NOT EXISTS (SELECT 1 FROM finished AS f WHERE f.id = c.id))
            SELECT s.id FROM skipped AS s JOIN {jobs} AS j ON j.id = s.id AND j.attempt = s.attempt AND (j.state = 'running') IS TRUE
            """);

        // Never waits for a row lock (SKIP LOCKED): a row being completed or rescued right now, or held by another
        // session, misses a heartbeat, which is harmless: the rescue takes a job only from a worker whose node row is
        // stale, never for a row's heartbeat alone. The runs are exactly those the worker tracks ($1, $2): a row it
        // claimed and does not track is found by FindUntracked and settled by RescueUntracked, never kept alive here.
        // $3: only rows whose heartbeat (set by the claim) is older than this are rewritten, a quarter of the interval,
        // so short jobs, the bulk of a busy worker's running set, are never rewritten nor locked by it. Rows are looked
        // up by primary key, as in CompleteMany.
        Heartbeat = $"""
            WITH alive AS MATERIALIZED (
                SELECT a.id FROM unnest($1::bigint[], $2::smallint[]) AS c(id, attempt) CROSS JOIN LATERAL (
                    SELECT j.id FROM {jobs} AS j
                    WHERE j.id = c.id AND j.attempt = c.attempt AND (j.state = 'running') IS TRUE
                      AND coalesce(j.heartbeat_at, '-infinity') < now() - $3
                    FOR NO KEY UPDATE OF j SKIP LOCKED) AS a)
            UPDATE {jobs} AS j SET heartbeat_at = now()
            FROM alive {asyncCommit}
            WHERE j.id = alive.id
            """;

        // The queues that have due work, for the worker's one poll across all its queues (so an idle worker's cost does
        // not grow with the number of queues it serves): a skip scan of the available-rows index, one probe per queue
        // that holds available rows (none serves no queue), then a probe for a due row. Paused queues are left out.
        QueuesWithWork = $"""
            WITH RECURSIVE q AS (
                (SELECT queue FROM {jobs} WHERE state = 'available' ORDER BY queue LIMIT 1)
                UNION ALL
                SELECT (SELECT j.queue FROM {jobs} AS j WHERE j.state = 'available' AND j.queue > q.queue ORDER BY j.queue LIMIT 1)
                FROM q WHERE q.queue IS NOT NULL)
            SELECT q.queue FROM q
            WHERE q.queue IS NOT NULL
              AND EXISTS (SELECT 1 FROM {jobs} AS j WHERE j.queue = q.queue AND {Claimable("j", "q.queue")})
            """;

        PauseQueue = $"INSERT INTO \"{schema}\".paused_queues (queue) VALUES ($1) ON CONFLICT DO NOTHING";
        ResumeQueue = $"DELETE FROM \"{schema}\".paused_queues WHERE queue = $1";
        PausedQueues = $"SELECT queue FROM \"{schema}\".paused_queues ORDER BY queue";


        // What a rescue does to a run: retried now, or discarded when out of attempts. The last attempt is the smaller of
        // max_attempts and 32766 (attempt is a smallint the claim never raises past 32766), so a cap at the column's
        // maximum still ends, and no two runs of a job share an attempt number.
        string RescueSet(string message) => $"""
            state = CASE WHEN j.attempt >= LEAST(j.max_attempts, {AttemptCeiling}) THEN 'discarded' ELSE 'retryable' END,
                finalized_at = CASE WHEN j.attempt >= LEAST(j.max_attempts, {AttemptCeiling}) THEN now() END,
                run_at = now(),
                errors = j.errors || jsonb_build_array(jsonb_build_object('attempt', j.attempt, 'at', now(), 'kind', '{ErrorKinds.Rescued}',
                    'message', {message}))
            """;

        // A running job whose runner is gone: its worker's node row is missing or has not been seen for $1, and the
        // job's own heartbeat (a missing one counts as stale) is as old. The node decides: a live worker's rows are never
        // taken, even when their heartbeat is old (another session held the row locked, so the heartbeat skipped it);
        // rows a live worker claimed and does not track are its own to settle (RescueUntracked). $2: the jobs the
        // rescuing process runs itself, never rescued. The condition is checked again on the row being updated, so a job
        // that completed or was heartbeated meanwhile is left alone.
        var stale = $"""
            coalesce(j.heartbeat_at, '-infinity') < now() - $1
            AND NOT (j.id = ANY ($2))
            AND NOT EXISTS (SELECT 1 FROM "{schema}".nodes AS n WHERE n.name = j.attempted_by AND n.seen_at >= now() - $1)
            """;
        Rescue = Finish($"""
            stale AS (
                SELECT j.id FROM {jobs} AS j
                WHERE j.state = 'running' AND {stale}
                ORDER BY j.heartbeat_at NULLS FIRST
                LIMIT 1000
                FOR UPDATE SKIP LOCKED),
            """, $"""
            UPDATE {jobs} AS j SET
                    {RescueSet("'worker ' || coalesce(j.attempted_by, '?') || ' stopped heartbeating while running this job (last heartbeat ' || coalesce(j.heartbeat_at::text, 'never') || ')'")}
                FROM stale
                WHERE j.id = stale.id AND (j.state = 'running') IS TRUE AND {stale}
                RETURNING j.id, j.state
            """, CountFinished);

        // Node liveness: upserted every heartbeat by each worker process ($1 name, $2 queues, $3 this process's
        // instance), removed when it stops. Returns whether another instance wrote the row within $4: two live
        // processes share the name (or this one restarted under it), so rows under the name are not all this
        // process's to judge (FindUntracked is skipped). prev reads the row as it was before this statement.
        var nodes = $"\"{schema}\".nodes";
        TouchNode = $"""
            WITH prev AS (SELECT instance, seen_at FROM {nodes} WHERE name = $1)
            INSERT INTO {nodes} AS n (name, queues, seen_at, instance) VALUES ($1, $2, now(), $3)
            ON CONFLICT (name) DO UPDATE SET seen_at = now(), queues = EXCLUDED.queues, instance = EXCLUDED.instance
            RETURNING coalesce((SELECT p.instance IS DISTINCT FROM $3 AND p.seen_at >= now() - $4 FROM prev AS p), false)
            """;
        RemoveNode = $"DELETE FROM {nodes} WHERE name = $1 AND instance IS NOT DISTINCT FROM $2";

        // Running rows under this worker's name ($1) that it does not track ($2): a claim whose reply never arrived
        // (its connection broke after PostgreSQL committed it), or the runs of an earlier process under the same name.
        // Read one heartbeat, settled at the next once every claim sent before the read has ended (see Heartbeat).
        // The partial running index bounds the read to running rows.
        FindUntracked = $"""
            SELECT j.id, j.attempt, j.attempted_at FROM {jobs} AS j
            WHERE j.state = 'running' AND j.attempted_by = $1 AND NOT (j.id = ANY ($2))
            LIMIT 10000
            """;

        // Settles the rows FindUntracked found a heartbeat ago, as the rescue would: nobody runs them. Guarded by the
        // claim that made each run ($2 attempt and $3 attempted_at, which every claim sets anew) and by the worker ($4),
        // so a row re-claimed meanwhile, even at the same attempt after a snooze, is left alone. Skips locked rows.
        RescueUntracked = Finish($"""
            lost AS MATERIALIZED (
                SELECT j.id FROM {jobs} AS j
                JOIN unnest($1::bigint[], $2::smallint[], $3::timestamptz[]) AS c(id, attempt, attempted_at)
                  ON j.id = c.id AND j.attempt = c.attempt AND j.attempted_at = c.attempted_at
                WHERE j.state = 'running' AND j.attempted_by = $4
                FOR UPDATE OF j SKIP LOCKED),
            """, $"""
            UPDATE {jobs} AS j SET
                    {RescueSet("'worker ' || j.attempted_by || ' was not running this job (the reply to its claim was lost, or an earlier process of the same name claimed it)'")}
                FROM lost
                WHERE j.id = lost.id
                RETURNING j.id, j.state
            """, CountFinished);

        // Runs this worker tracks that are no longer running at that attempt here: rescued, cancelled or finished
        // elsewhere. Their handlers' tokens are fired; their late outcomes are no-ops (every outcome is guarded).
        LostAmong = $"""
            SELECT c.id FROM unnest($1::bigint[], $2::smallint[]) AS c(id, attempt)
            LEFT JOIN {jobs} AS j ON j.id = c.id
            WHERE j.id IS NULL OR j.state <> 'running' OR j.attempt <> c.attempt
            """;

        var snooze = $"UPDATE {jobs} SET state = 'scheduled', run_at = now() + $3, attempt = GREATEST(attempt - 1, 0), attempted_by = NULL";
        Snooze = $"{snooze} {guard}";
        SnoozeAlone = $"{snooze} {guardNoWait}";

        var cancel = $"state = 'cancelled', finalized_at = now(), errors = errors || {error}";
        Cancel = FinishRun(cancel, guard);
        CancelAlone = FinishRun(cancel, guardNoWait);

        Release = $"UPDATE {jobs} SET state = 'available', attempt = GREATEST(attempt - 1, 0), attempted_by = NULL {guardNoWait}";


        // $stale: the rescue threshold (an interval parameter); a running job whose heartbeat is older is shown as
        // stale, by the same comparison the rescue makes (a missing heartbeat counts as stale).
        static string Columns(string stale) => $"""
            id, name, queue, state, priority, payload::text, attempt, max_attempts, run_at, created_at,
            attempted_at, finalized_at, errors::text, heartbeat_at, attempted_by,
            (state = 'running' AND coalesce(heartbeat_at, '-infinity') < now() - {stale}::interval)
            """;

        ListJobs = $"""
            SELECT {Columns("$9")}
            FROM {jobs}
            WHERE ($1::text IS NULL OR queue = $1)
              AND ($2::text IS NULL OR name = $2)
              AND ($3::text[] IS NULL OR state = ANY($3))
              AND ($4::timestamptz IS NULL OR created_at >= $4)
              AND ($5::timestamptz IS NULL OR created_at < $5)
              AND ($6::bigint IS NULL OR id < $6)
              AND ($8::bigint[] IS NULL OR id = ANY($8))
              AND ($10::timestamptz IS NULL OR finalized_at >= $10)
              AND ($11::timestamptz IS NULL OR finalized_at < $11)
            ORDER BY id DESC
            LIMIT $7
            """;


        CountOverTime = $"""
            SELECT date_bin($1, finalized_at, $2) AS bucket, state, count(*)
            FROM {jobs}
            WHERE finalized_at >= $2 AND finalized_at < $3
            GROUP BY bucket, state
            ORDER BY bucket, state
            """;

        RetryJob = $"""
            UPDATE {jobs}
            SET state = 'available', run_at = now(), finalized_at = NULL, attempted_by = NULL, {RetryAttempts}
            WHERE id = $1 AND state IN {JobStates.SqlList(JobStates.Retriable)}
            """;

        CancelJob = Finish("", $"""
            UPDATE {jobs} AS j
                SET state = 'cancelled', finalized_at = now(),
                    errors = j.errors || jsonb_build_array(jsonb_build_object('attempt', j.attempt, 'at', now(), 'kind', 'cancelled', 'message', $2::text))
                WHERE j.id = $1 AND j.state IN {s_unfinished}
                RETURNING j.id, j.state
            """, CountFinished);

        DeleteFinished = $"""
            DELETE FROM {jobs}
            WHERE id IN (
                SELECT id FROM {jobs}
                WHERE state IN {s_finished} AND finalized_at < $1
                ORDER BY id
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
            """;

        GetJob = $"SELECT {Columns("$2")} FROM {jobs} WHERE id = $1";

        // Migrations: applied in one transaction under a lock per schema, so concurrent migrators wait for each other.
        MigrationsTable = $"\"{schema}\".schema_migrations";
        MigrationLock = "SELECT pg_advisory_xact_lock(hashtext('queues.migrate.' || $1))";
        CreateSchema = $"CREATE SCHEMA IF NOT EXISTS \"{schema}\"";
        CreateMigrationsTable =
            $"CREATE TABLE IF NOT EXISTS {MigrationsTable} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())";
        RecordMigration = $"INSERT INTO {MigrationsTable} (version, name) VALUES ($1, $2)";
        CurrentVersion = $"SELECT coalesce(max(version), 0) FROM {MigrationsTable}";

        // Reads only, so checking a current schema needs no CREATE right.
        MigrationsTableExists = $"SELECT to_regclass('{MigrationsTable}') IS NOT NULL";
    }

    public string Schema { get; }

    public string Insert { get; }

    public string InsertAndNotify { get; }

    public string InsertScheduled { get; }

    public string InsertUnique { get; }

    public string FindUnique { get; }

    public string InsertUniqueMany { get; }

    public string UniqueHolder { get; }

    public string CopyJobs { get; }

    public string CopyScheduledJobs { get; }

    public string Claim { get; }

    public string Promote { get; }

    public string Fail { get; }

    public string FailureRecorded { get; }

    public string Discard { get; }

    public string DiscardAlone { get; }

    public string Release { get; }

    public string Complete { get; }

    public string CompleteAlone { get; }

    public string CompleteMany { get; }

    public string Snooze { get; }

    public string SnoozeAlone { get; }

    public string Heartbeat { get; }

    public string LostAmong { get; }

    public string TouchNode { get; }

    public string FindUntracked { get; }

    public string QueuesWithWork { get; }

    public string RescueUntracked { get; }

    public string RemoveNode { get; }

    public string NextAvailable { get; }

    public string ClaimById { get; }

    public string DiscardPoison { get; }

    public string PauseQueue { get; }

    public string ResumeQueue { get; }

    public string PausedQueues { get; }

    public string AcquireLease { get; }

    public string ClaimCronRun { get; }

    public string RecordCronRun { get; }

    public string RetainCronRuns { get; }

    public string ReleaseLease { get; }

    public string Retain { get; }

    public string Rescue { get; }

    public string Cancel { get; }

    public string CancelAlone { get; }

    public string Notify { get; }

    public string Listen { get; }

    public string FlushClaims { get; }

    /// <summary>The LISTEN/NOTIFY channel of a schema: <c>queues_{schema}</c>, cut to PostgreSQL's 63-byte limit.</summary>
    public static string NotifyChannel(string schema)
    {
        var channel = "queues_" + schema;
        return channel.Length <= Validate.MaxIdentifierLength ? channel : channel[..Validate.MaxIdentifierLength];
    }

    public string GetJob { get; }

    public string ListJobs { get; }


    public string CountOverTime { get; }

    public string RetryJob { get; }

    public string CancelJob { get; }

    public string DeleteFinished { get; }

    public string MigrationsTable { get; }

    public string MigrationLock { get; }

    public string CreateSchema { get; }

    public string CreateMigrationsTable { get; }

    public string RecordMigration { get; }

    public string MigrationsTableExists { get; }

    /// <summary>The transaction's clock: what DEFAULT now() stores in it.</summary>
    public string TransactionNow => "SELECT now()";

    /// <summary>A round trip that proves a connection alive.</summary>
    public string Probe => "SELECT 1";

    public string CurrentVersion { get; }
}
