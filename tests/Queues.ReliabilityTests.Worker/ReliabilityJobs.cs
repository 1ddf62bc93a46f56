using Npgsql;

// Compiled into the worker (which handles these jobs) and linked into the test project (which enqueues them through the
// generated methods), as an application shares its job declarations between the code that enqueues and the worker.
namespace Queues.ReliabilityTests;

/// <summary>The payload of <c>rel.work</c>: a sequence number, and how long the handler works (0: 1–4 ms at random).</summary>
public sealed record WorkItem(int Sequence, int DelayMs = 0);

/// <summary>Who this worker process is: the schema it serves and its name (unique per process start).</summary>
public sealed record WorkerIdentity(string Schema, string Name);

/// <summary>
/// Records each finished handler run as a row of <c>runs</c> (job id, attempt, process id, worker, start and end), in
/// its own autocommit statement, before the handler returns. A run interrupted before this insert leaves no row.
/// </summary>
public sealed class RunLog(NpgsqlDataSource dataSource, WorkerIdentity identity)
{
    /// <summary>The table the tests create in the job schema before starting workers.</summary>
    public static string CreateTableSql(string schema) => $"""
        CREATE TABLE "{schema}".runs (
            job_id      bigint      NOT NULL,
            attempt     int         NOT NULL,
            sequence    int         NOT NULL,
            pid         int         NOT NULL,
            worker      text        NOT NULL,
            started_at  timestamptz NOT NULL,
            finished_at timestamptz NOT NULL DEFAULT clock_timestamp());
        CREATE INDEX ON "{schema}".runs (job_id, attempt);
        CREATE TABLE "{schema}".effects (job_id bigint NOT NULL, sequence int NOT NULL);
        CREATE TABLE "{schema}".effect_runs (job_id bigint NOT NULL, attempt int NOT NULL, pid int NOT NULL);
        """;

    private readonly string _insert =
        $"INSERT INTO \"{identity.Schema}\".runs (job_id, attempt, sequence, pid, worker, started_at) VALUES ($1, $2, $3, $4, $5, $6)";

    public async Task RecordAsync(JobContext context, int sequence, DateTime startedAt)
    {
        await using var command = dataSource.CreateCommand(_insert);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = context.Id.Value });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = context.Attempt });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = sequence });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Environment.ProcessId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = identity.Name });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = startedAt });
        // Not cancellable: once the work is done it is recorded, so that a shutdown cannot hide a run that happened.
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>
    /// <see cref="RecordAsync"/> with synchronous I/O, for a handler that blocks its thread: asynchronous I/O would wait
    /// for the very thread-pool threads such handlers hold.
    /// </summary>
    public void Record(JobContext context, int sequence, DateTime startedAt)
    {
        using var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand(_insert, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = context.Id.Value });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = context.Attempt });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = sequence });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Environment.ProcessId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = identity.Name });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = startedAt });
        command.ExecuteNonQuery();
    }

    /// <summary>Writes the effect of <c>rel.effect</c> in the job's own transaction: it commits with the completion or not at all.</summary>
    public async Task WriteEffectAsync(JobContext context, int sequence, CancellationToken cancellationToken)
    {
        var transaction = await context.GetTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"INSERT INTO \"{identity.Schema}\".effects (job_id, sequence) VALUES ($1, $2)", transaction.Connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = context.Id.Value });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = sequence });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records, outside the job's transaction, that a <c>rel.effect</c> handler reached its end: re-runs show here.</summary>
    public async Task RecordEffectRunAsync(JobContext context)
    {
        await using var command = dataSource.CreateCommand($"INSERT INTO \"{identity.Schema}\".effect_runs (job_id, attempt, pid) VALUES ($1, $2, $3)");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = context.Id.Value });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = context.Attempt });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Environment.ProcessId });
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }
}

/// <summary>The handlers the reliability suite runs in separate worker processes.</summary>
public sealed class ReliabilityJobs(RunLog log)
{
    /// <summary>The ordinary job: a little asynchronous work, then a row in <c>runs</c>.</summary>
    [Job("rel.work", MaxAttempts = 25)]
    public async Task WorkAsync(WorkItem item, JobContext context, CancellationToken cancellationToken)
    {
        var startedAt = DateTime.UtcNow;
        await Task.Delay(item.DelayMs > 0 ? item.DelayMs : Random.Shared.Next(1, 5), cancellationToken);
        await log.RecordAsync(context, item.Sequence, startedAt);
    }

    /// <summary>
    /// A job whose only effect is in the database, written through <see cref="JobContext.GetTransactionAsync"/>: however
    /// often a kill makes it run again, its effect row must exist exactly once.
    /// </summary>
    [Job("rel.effect", MaxAttempts = 25)]
    public async Task EffectAsync(WorkItem item, JobContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(Random.Shared.Next(1, 5), cancellationToken);
        await log.WriteEffectAsync(context, item.Sequence, cancellationToken);
        await log.RecordEffectRunAsync(context);
    }

    /// <summary>Never returns and ignores cancellation; its one-second timeout makes the worker abandon each attempt.</summary>
    [Job("rel.hang", TimeoutSeconds = 1, MaxAttempts = 2, RetryBaseDelaySeconds = 0.1)]
    public Task HangAsync(WorkItem item) => Task.Delay(Timeout.Infinite);

    /// <summary>Never returns, ignores cancellation and has no timeout: only a shutdown ends its attempt.</summary>
    [Job("rel.forever")]
    public Task ForeverAsync(WorkItem item) => Task.Delay(Timeout.Infinite);

    /// <summary>Always throws: retried, then discarded with its error history.</summary>
    [Job("rel.poison", MaxAttempts = 3, RetryBaseDelaySeconds = 0.05)]
    public Task PoisonAsync(WorkItem item) => throw new InvalidOperationException($"poison payload {item.Sequence}");

    /// <summary>
    /// Records its run, then always throws, with the highest cap the API accepts: it must end discarded at the attempt
    /// ceiling, each run at an attempt number of its own.
    /// </summary>
    [Job("rel.failForever", MaxAttempts = 32766, RetryBaseDelaySeconds = 0.05)]
    public async Task FailForeverAsync(WorkItem item, JobContext context)
    {
        await log.RecordAsync(context, item.Sequence, DateTime.UtcNow);
        throw new InvalidOperationException($"fails forever {item.Sequence}");
    }

    /// <summary>
    /// Blocks its thread (as synchronous I/O, a CPU-bound loop or a lock does) for <see cref="WorkItem.DelayMs"/>, then
    /// records its run: many at once starve the thread pool.
    /// </summary>
    [Job("rel.block", MaxAttempts = 25)]
    public void Block(WorkItem item, JobContext context)
    {
        var startedAt = DateTime.UtcNow;
        Thread.Sleep(item.DelayMs);
        log.Record(context, item.Sequence, startedAt);
    }

    /// <summary>
    /// Waits <see cref="WorkItem.DelayMs"/> on its first attempt (honouring its token), then writes its effect in the job's
    /// own transaction: exactly once, even when a frozen worker wakes up still holding a rescued attempt.
    /// </summary>
    /// <summary>
    /// An external effect first (a start recorded with this process's id, outside any transaction), then
    /// <see cref="WorkItem.DelayMs"/> on the first attempt: a start that should not have happened shows.
    /// </summary>
    [Job("rel.startEffect", MaxAttempts = 25)]
    public async Task StartEffectAsync(WorkItem item, JobContext context, CancellationToken cancellationToken)
    {
        await log.RecordEffectRunAsync(context);
        await Task.Delay(context.Attempt == 1 ? item.DelayMs : 1, cancellationToken);
    }

    [Job("rel.slowEffect", MaxAttempts = 25)]
    public async Task SlowEffectAsync(WorkItem item, JobContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(context.Attempt == 1 ? item.DelayMs : 1, cancellationToken);
        await log.WriteEffectAsync(context, item.Sequence, cancellationToken);
        await log.RecordEffectRunAsync(context);
    }
}
