using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Queues.Internal;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests.Model;

/// <summary>
/// The model-based test's only contact with the engine: every operation goes through the classes the worker itself
/// uses (the client's enqueue, <see cref="JobStore"/>'s claim, <see cref="Completer"/>, <see cref="Heartbeat"/>,
/// <see cref="JobRescuer"/>, <see cref="JobPromoter"/>, <see cref="QueuesAdmin"/>), one call per step, so the steps are
/// deterministic. When the engine's internals are renamed or reshaped, this class changes and the model does not.
/// </summary>
internal sealed class EngineAdapter : IAsyncDisposable
{
    /// <summary>One tick of model time: the test ages every timestamp by this much.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromDays(1);

    /// <summary>RescueAfter: shorter than a tick, longer than any test run, so "stale" means "not seen this tick".</summary>
    public static readonly TimeSpan RescueAfter = TimeSpan.FromHours(1);

    private static readonly JobDefinition Job = new("model.job");
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("{}");

    private readonly TestSchema _schema;
    private readonly JobStore _store;
    private readonly QueuesAdmin _admin;
    private readonly Worker?[] _workers = new Worker?[LifecycleGen.Workers];

    public EngineAdapter(TestSchema schema)
    {
        _schema = schema;
        _store = schema.Client.Store;
        _admin = new QueuesAdmin(schema.Client);
    }

    public static string QueueName(int queue) => $"q{queue}";

    public static string WorkerName(int worker) => $"w{worker}";

    private NpgsqlDataSource DataSource => _schema.Fixture.DataSource;

    private string Table(string name) => $"\"{_schema.Name}\".{name}";

    // ---- Enqueue (the public client API) ----

    /// <summary>Enqueues one job on its own transaction, which commits unless <paramref name="rollBack"/>.</summary>
    public async Task<EnqueueResult> EnqueueAsync(EnqueueOp op, bool rollBack)
    {
        var options = new EnqueueOptions
        {
            Queue = QueueName(op.Queue),
            Priority = op.Priority,
            MaxAttempts = op.MaxAttempts,
            Delay = op.Kind == EnqueueKind.Plain ? null : op.DelayTicks * Tick,
            UniqueKey = op.Kind == EnqueueKind.Unique ? $"key{op.Key}" : null,
            UniqueStates = op.Kind == EnqueueKind.Unique ? op.States : null,
        };
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var result = await _schema.Client.EnqueueAsync(transaction, Job, Payload, options);
        if (rollBack)
        {
            await transaction.RollbackAsync();
        }
        else
        {
            await transaction.CommitAsync();
        }

        return result;
    }

    // ---- A worker process: its completer (and running set) and heartbeat ----

    public bool IsAlive(int worker) => _workers[worker] is not null;

    /// <summary>Starts a process under the worker's name, and beats once: a worker claims only after its first beat.</summary>
    public void Start(int worker)
    {
        var logger = NullLogger.Instance;
        var completer = new Completer(_store, new RetryDelays(new JobRegistry(), static _ => TimeSpan.Zero, logger), RescueAfter, logger);
        var heartbeat = new Heartbeat(_store, completer.Running, WorkerName(worker), [QueueName(0), QueueName(1)], TimeSpan.FromMilliseconds(4),
            RescueAfter, logger, paceUntrackedReads: false); // The model reads untracked rows at every beat.
        _workers[worker] = new Worker(completer, heartbeat, completer.RunAsync(), DataSource.OpenConnection());
        Beat(worker);
    }

    /// <summary>The process dies: what it holds in memory is gone; its rows and node row stay as they are.</summary>
    public async Task KillAsync(int worker)
    {
        if (_workers[worker] is { } w)
        {
            _workers[worker] = null;
            await w.DisposeAsync();
        }
    }

    /// <summary>One heartbeat, as the heartbeat thread sends it every interval.</summary>
    public void Beat(int worker) => _workers[worker]!.Heartbeat.Beat(_workers[worker]!.HeartbeatConnection);

    /// <summary>
    /// One claim as the fetch loop sends it: numbered in the running set, and each row tracked before the claim ends —
    /// unless its reply is lost (the statement committed, the connection broke before the rows arrived).
    /// </summary>
    public async Task<List<long>> ClaimAsync(int worker, int queue, int limit, bool lostReply)
    {
        var w = _workers[worker]!;
        var claim = w.Completer.Running.BeginClaim();
        try
        {
            w.ClaimConnection ??= await DataSource.OpenConnectionAsync();
            var jobs = await _store.ClaimAsync(w.ClaimConnection, QueueName(queue), limit, WorkerName(worker), ClaimWalk.Head); // The model expects head claims.
            if (!lostReply)
            {
                foreach (var job in jobs)
                {
                    w.Completer.Track(job);
                    w.Claimed[job.Id] = job;
                }
            }

            return [.. jobs.Select(static j => j.Id)];
        }
        finally
        {
            w.Completer.Running.EndClaim(claim);
        }
    }

    /// <summary>The runs the worker's running set holds, (id, attempt) by id.</summary>
    public (long[] Ids, short[] Attempts) Tracked(int worker) => _workers[worker]!.Completer.Running.Snapshot();

    /// <summary>
    /// The handler of run (<paramref name="id"/>, <paramref name="attempt"/>) returned <paramref name="kind"/>: the completer
    /// records it. Completes once the outcome is written (a completion is batched: once the run has left the running set).
    /// </summary>
    public async Task RecordAsync(int worker, long id, short attempt, OutcomeKind kind, TimeSpan delay)
    {
        var w = _workers[worker]!;
        var job = w.Claimed[id];
        if (job.Attempt != attempt)
        {
            throw new InvalidOperationException($"The adapter's claimed row {id} is attempt {job.Attempt}, the model's {attempt}.");
        }

        var error = new ErrorRecord(ErrorKinds.Exception, "ModelFailure", "failed by the model-based test", null);
        var result = kind switch
        {
            OutcomeKind.Complete => JobResult.Completed(null),
            OutcomeKind.Fail => JobResult.Failed(error, delay),
            OutcomeKind.Snooze => JobResult.Snoozed(delay, null),
            OutcomeKind.Cancel => JobResult.Cancelled("cancelled by the handler", null),
            _ => JobResult.Discarded(error with { Kind = ErrorKinds.Discarded }, null),
        };
        await w.Completer.RecordAsync(job, result);
        if (kind == OutcomeKind.Complete)
        {
            // Batched: written by the completer's loop (at once, or within a second when its row was locked).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (IsTracked(w, job.Key))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"The completion of run ({id}, {attempt}) was not written within 10 s.");
                }

                await Task.Delay(1);
            }
        }
    }

    /// <summary>The outcome's write was retried after its reply was lost (the completer retries a write until it hears back).</summary>
    public async Task RetryRecordAsync(int worker, long id, OutcomeKind kind, TimeSpan delay)
    {
        if (kind == OutcomeKind.Complete)
        {
            var job = _workers[worker]!.Claimed[id];
            var skipped = await _store.CompleteManyAsync([job.Id], [job.Attempt]);
            if (skipped.Count > 0)
            {
                throw new InvalidOperationException($"A retried completion of job {id} was skipped as locked.");
            }
        }
        else
        {
            await RecordAsync(worker, id, _workers[worker]!.Claimed[id].Attempt, kind, delay);
        }
    }

    private static bool IsTracked(Worker worker, RunKey run)
    {
        var (ids, attempts) = worker.Completer.Running.Snapshot();
        var i = Array.IndexOf(ids, run.Id);
        return i >= 0 && attempts[i] == run.Attempt;
    }

    // ---- Maintenance (what the leader runs) ----

    /// <summary>The leader's rescue, in <paramref name="leader"/>'s process when it is alive (its own runs are never rescued).</summary>
    public Task RescueAsync(int leader)
    {
        var running = _workers[leader]?.Completer.Running;
        return new JobRescuer(_store, RescueAfter, () => running?.Ids() ?? [], NullLogger.Instance).RunOnceAsync(CancellationToken.None);
    }

    public Task PromoteAsync() => new JobPromoter(_store, static _ => { }, NullLogger.Instance).RunOnceAsync(CancellationToken.None);

    // ---- Operator ----

    public Task<bool> CancelAsync(long id) => _admin.CancelJobAsync(new JobId(id), "cancelled by the model-based test");

    /// <summary>A retry by hand: true, false, or null when another job holds its unique key (the API says so with an exception).</summary>
    public async Task<bool?> RetryAsync(long id)
    {
        try
        {
            return await _admin.RetryJobAsync(new JobId(id));
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    // The model pauses queues before their first job; an operator would force that too.
    public Task<bool> PauseAsync(int queue) => _admin.PauseQueueAsync(QueueName(queue), force: true);

    public async Task<bool> ResumeAsync(int queue)
    {
        try
        {
            return await _admin.ResumeQueueAsync(QueueName(queue));
        }
        catch (ArgumentException)
        {
            // A queue that is neither paused nor known: refused, and nothing resumed, as the model expects.
            return false;
        }
    }

    // ---- The world around the engine ----

    /// <summary>Time passes: every timestamp the engine compares with now() is aged by one tick.</summary>
    public async Task AdvanceAsync()
    {
        await using var batch = DataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"UPDATE {Table("jobs")} SET run_at = run_at - $1, heartbeat_at = heartbeat_at - $1")
        {
            Parameters = { new NpgsqlParameter<TimeSpan> { TypedValue = Tick } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"UPDATE {Table("nodes")} SET seen_at = seen_at - $1")
        {
            Parameters = { new NpgsqlParameter<TimeSpan> { TypedValue = Tick } },
        });
        await batch.ExecuteNonQueryAsync();
    }

    /// <summary>Another session (a report, a hand edit) holds row <paramref name="id"/> with <c>SELECT … FOR UPDATE</c> until disposed.</summary>
    public async Task<IAsyncDisposable> LockRowAsync(long id)
    {
        var connection = await DataSource.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand($"SELECT id FROM {Table("jobs")} WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
            await command.ExecuteScalarAsync();
        }

        return new RowLock(connection, transaction);
    }

    // ---- What the test compares with the model ----

    public async Task<List<JobRow>> ReadJobsAsync()
    {
        await using var command = DataSource.CreateCommand($"""
            SELECT id, queue, state, priority, attempt, max_attempts, attempted_by, run_at <= now(),
                   coalesce(heartbeat_at >= now() - $1, false),
                   coalesce((SELECT string_agg(e.value->>'kind', ',' ORDER BY e.n) FROM jsonb_array_elements(errors) WITH ORDINALITY AS e(value, n)), ''),
                   unique_key IS NOT NULL
            FROM {Table("jobs")} ORDER BY id
            """);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = RescueAfter });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<JobRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new JobRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt16(3), reader.GetInt16(4), reader.GetInt16(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetBoolean(7), reader.GetBoolean(8), reader.GetString(9), reader.GetBoolean(10)));
        }

        return rows;
    }

    /// <summary>The waiting jobs (scheduled, available, retryable) in run-at order, ties by id.</summary>
    public async Task<List<long>> ReadRunAtOrderAsync()
    {
        await using var command = DataSource.CreateCommand(
            $"SELECT id FROM {Table("jobs")} WHERE state IN ('scheduled', 'available', 'retryable') ORDER BY run_at, id");
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<long>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    public async Task<List<string>> ReadPausedAsync() => [.. await _admin.GetPausedQueuesAsync()];

    /// <summary>Node rows seen within RescueAfter, by name.</summary>
    public async Task<List<string>> ReadLiveNodesAsync()
    {
        await using var command = DataSource.CreateCommand($"SELECT name FROM {Table("nodes")} WHERE seen_at >= now() - $1 ORDER BY name");
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = RescueAfter });
        await using var reader = await command.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _workers.Length; i++)
        {
            await KillAsync(i);
        }
    }

    /// <summary>A job row as the test compares it.</summary>
    public sealed record JobRow(long Id, string Queue, string State, short Priority, short Attempt, short MaxAttempts, string? AttemptedBy, bool Due,
        bool HeartbeatFresh, string Errors, bool Unique);

    private sealed class Worker(Completer completer, Heartbeat heartbeat, Task completions, NpgsqlConnection heartbeatConnection) : IAsyncDisposable
    {
        public Completer Completer { get; } = completer;

        public Heartbeat Heartbeat { get; } = heartbeat;

        public NpgsqlConnection HeartbeatConnection { get; } = heartbeatConnection;

        public NpgsqlConnection? ClaimConnection { get; set; }

        /// <summary>The last row each claim returned, by id: what an outcome is recorded for.</summary>
        public Dictionary<long, ClaimedJob> Claimed { get; } = [];

        public async ValueTask DisposeAsync()
        {
            Completer.Close();
            await completions;
            Heartbeat.Dispose();
            await HeartbeatConnection.DisposeAsync();
            if (ClaimConnection is not null)
            {
                await ClaimConnection.DisposeAsync();
            }
        }
    }

    private sealed class RowLock(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.CommitAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
