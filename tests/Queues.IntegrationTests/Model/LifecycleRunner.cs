using System.Text;

namespace Queues.IntegrationTests.Model;

/// <summary>
/// Runs a sequence against the engine (through <see cref="EngineAdapter"/>) and the model side by side, and after every
/// step compares the jobs table, the paused queues, the live nodes and every worker's running set with the model.
/// </summary>
internal sealed class LifecycleRunner(EngineAdapter engine, LifecycleModel model)
{
    /// <summary>A step that takes longer hangs (a statement waits where it must not).</summary>
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How long a step that must wait for a locked row is watched before the lock is released.</summary>
    private static readonly TimeSpan WatchBlocked = TimeSpan.FromMilliseconds(150);

    public async Task RunAsync(IReadOnlyList<LifecycleOp> ops)
    {
        for (var w = 0; w < LifecycleGen.Workers; w++)
        {
            engine.Start(w);
            model.Start(model.Workers[w]);
        }

        await CompareAsync(0, null);
        for (var i = 0; i < ops.Count; i++)
        {
            try
            {
                await StepAsync(ops[i]).WaitAsync(StepTimeout);
            }
            catch (Exception exception) when (exception is not ModelMismatchException)
            {
                throw new ModelMismatchException($"Step {i + 1} ({ops[i]}) threw {exception.GetType().Name}: {exception.Message}", exception);
            }

            await CompareAsync(i + 1, ops[i]);
        }
    }

    private Task StepAsync(LifecycleOp op) => op switch
    {
        EnqueueOp enqueue => EnqueueAsync(enqueue),
        ClaimOp claim => ClaimAsync(claim),
        OutcomeOp outcome => OutcomeAsync(outcome),
        BeatOp beat => model.Workers[beat.Worker].Alive
            ? WithLockAsync(beat.Lock, () =>
            {
                engine.Beat(beat.Worker);
                model.Beat(model.Workers[beat.Worker]);
                return Task.CompletedTask;
            })
            : Task.CompletedTask,
        AdvanceOp advance => AdvanceAsync(advance.Frozen, advance.Leader),
        RescueOp rescue => WithLockAsync(rescue.Lock, async () =>
        {
            await engine.RescueAsync(rescue.Leader);
            model.Rescue(model.Workers[rescue.Leader] is { Alive: true } leader ? leader : null);
        }),
        PromoteOp promote => WithLockAsync(promote.Lock, async () =>
        {
            await engine.PromoteAsync();
            model.Promote();
        }),
        AdminCancelOp cancel => AdminCancelAsync(cancel),
        AdminRetryOp retry => AdminRetryAsync(retry),
        PauseOp pause => PauseAsync(pause.Queue, pause: true),
        ResumeOp resume => PauseAsync(resume.Queue, pause: false),
        KillOp kill => KillAsync(kill.Worker),
        StartOp start => StartAsync(start.Worker),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown operation."),
    };

    private async Task EnqueueAsync(EnqueueOp op)
    {
        await EnqueueOnceAsync(op, op.RolledBack);
        if (op.LostReply)
        {
            // The enqueuer did not hear its commit and enqueues again: a plain job is there twice, a unique one once.
            await EnqueueOnceAsync(op, rollBack: false);
        }
    }

    private async Task EnqueueOnceAsync(EnqueueOp op, bool rollBack)
    {
        var holder = model.DuplicateOf(op);
        var result = await engine.EnqueueAsync(op, rollBack);
        Expect(result.IsDuplicate == holder is not null, $"the enqueue to report a duplicate: {holder is not null} (holder {holder?.Id}); it reported {result}");
        model.Count(holder is not null ? "duplicate enqueue" : rollBack ? "enqueue rolled back" : $"enqueue {op.Kind}");
        if (holder is not null)
        {
            Expect(result.Id.Value == holder.Id, $"the duplicate to name job {holder.Id}; it named {result.Id}");
        }
        else if (!rollBack)
        {
            Expect(model.Jobs.All(j => j.Id < result.Id.Value), $"a new job id above every earlier one; got {result.Id}");
            model.Insert(op, result.Id.Value);
        }
    }

    private async Task ClaimAsync(ClaimOp op)
    {
        var worker = model.Workers[op.Worker];
        if (!worker.Alive)
        {
            return;
        }

        await WithLockAsync(op.Lock, async () =>
        {
            var expected = model.ClaimCandidates(op.Queue, op.Limit);
            var claimed = await engine.ClaimAsync(op.Worker, op.Queue, op.Limit, op.LostReply);
            Expect(claimed.Order().SequenceEqual(expected.Select(static j => j.Id).Order()),
                $"the claim to take [{string.Join(", ", expected.Select(static j => j.Id))}]; it took [{string.Join(", ", claimed)}]");
            model.Claim(worker, expected, tracked: !op.LostReply);
            model.Count(expected.Count == 0 ? "claim of nothing" : op.LostReply ? "claim whose reply was lost" : "claim");
        });
    }

    private async Task OutcomeAsync(OutcomeOp op)
    {
        var w = op.Worker;
        if (model.Workers[w] is not { Alive: true, Tracked.Count: > 0 })
        {
            w = (w + 1) % LifecycleGen.Workers;
        }

        var worker = model.Workers[w];
        if (!worker.Alive || worker.Tracked.Count == 0)
        {
            return;
        }

        var runs = worker.Tracked.ToList();
        if (op.Late && runs.FindAll(r => model.Job(r.Key) is var j && (j.State != JobState.Running || j.Attempt != r.Value)) is { Count: > 0 } late)
        {
            runs = late;
        }

        var (id, attempt) = runs[op.Pick % runs.Count];
        var job = model.Job(id);
        var delay = op.DelayTicks * EngineAdapter.Tick;

        // Only a write that would change the row waits for its lock; one whose guard no longer matches ends at once.
        var waits = job.State == JobState.Running && job.Attempt == attempt;
        await WhileLockedAsync(op.Locked ? id : null, waits, async () =>
        {
            await engine.RecordAsync(w, id, attempt, op.Kind, delay);
            return true;
        });
        model.Outcome(worker, id, attempt, op.Kind, op.DelayTicks);

        if (op.LostReply)
        {
            // The write committed, its reply was lost, the completer writes it again: the guard makes it a no-op.
            await engine.RetryRecordAsync(w, id, op.Kind, delay);
            Expect(!model.Outcome(worker, id, attempt, op.Kind, op.DelayTicks), "the model to reject a repeated outcome");
        }
    }

    private async Task AdvanceAsync(int frozen, int leader)
    {
        await engine.AdvanceAsync();
        model.Advance();
        for (var w = 0; w < LifecycleGen.Workers; w++)
        {
            if (w != frozen && model.Workers[w].Alive)
            {
                engine.Beat(w);
                model.Beat(model.Workers[w]);
            }
        }

        // Two of the leader's polls: promote and rescue, then promote what was rescued.
        await engine.PromoteAsync();
        model.Promote();
        await engine.RescueAsync(leader);
        model.Rescue(model.Workers[leader] is { Alive: true } l ? l : null);
        await engine.PromoteAsync();
        model.Promote();
    }

    private async Task AdminCancelAsync(AdminCancelOp op)
    {
        if (model.JobAt(op.Pick) is not { } job)
        {
            return;
        }

        var cancelled = await WhileLockedAsync(op.Locked ? job.Id : null, !job.IsFinished, () => engine.CancelAsync(job.Id));
        var expected = model.AdminCancel(job);
        Expect(cancelled == expected, $"cancelling job {job.Id} by hand to return {expected}; it returned {cancelled}");
        if (op.LostReply)
        {
            Expect(!await engine.CancelAsync(job.Id), $"cancelling job {job.Id} again to return false");
        }
    }

    private async Task AdminRetryAsync(AdminRetryOp op)
    {
        if (model.JobAt(op.Pick) is not { } job)
        {
            return;
        }

        var waits = job.State is JobState.Cancelled or JobState.Discarded;
        var retried = await WhileLockedAsync(op.Locked ? job.Id : null, waits, () => engine.RetryAsync(job.Id));
        var expected = model.AdminRetry(job);
        model.Count(expected switch { true => "retry by hand", false => "retry by hand of nothing", null => "retry by hand refused: key taken" });
        Expect(retried == expected, $"retrying job {job.Id} by hand to return {Show(expected)}; it returned {Show(retried)}");

        static string Show(bool? result) => result?.ToString() ?? "a unique-key conflict";
    }

    private async Task PauseAsync(int queue, bool pause)
    {
        var changed = pause ? await engine.PauseAsync(queue) : await engine.ResumeAsync(queue);
        var expected = pause ? model.Paused.Add(queue) : model.Paused.Remove(queue);
        Expect(changed == expected, $"{(pause ? "pausing" : "resuming")} q{queue} to return {expected}; it returned {changed}");
    }

    private async Task KillAsync(int worker)
    {
        if (model.Workers[worker].Alive)
        {
            await engine.KillAsync(worker);
            model.Kill(model.Workers[worker]);
        }
    }

    private Task StartAsync(int worker)
    {
        if (!model.Workers[worker].Alive)
        {
            engine.Start(worker);
            model.Start(model.Workers[worker]);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Runs a step that never waits for a row lock (claim, heartbeat, rescue, promotion) while another session holds the
    /// row of job <paramref name="pick"/> locked (-1: no lock); the model leaves that row alone too.
    /// </summary>
    private async Task WithLockAsync(int pick, Func<Task> step)
    {
        if (pick < 0 || model.JobAt(pick) is not { } job)
        {
            await step();
            return;
        }

        model.Locked = job.Id;
        model.Count("step skipped a locked row");
        try
        {
            await using var rowLock = await engine.LockRowAsync(job.Id);
            await Task.Run(step);
        }
        finally
        {
            model.Locked = null;
        }
    }

    /// <summary>
    /// Runs a step while row <paramref name="lockedId"/> is held by another session (null: no lock). When the step
    /// <paramref name="waits"/> (it changes that row), it must not finish while the lock is held; it must once the lock
    /// goes. Otherwise it must finish with the lock still held. The model applies the step as if unlocked.
    /// </summary>
    private async Task<T> WhileLockedAsync<T>(long? lockedId, bool waits, Func<Task<T>> step)
    {
        if (lockedId is not { } id)
        {
            return await step();
        }

        var rowLock = await engine.LockRowAsync(id);
        Task<T> running;
        try
        {
            running = Task.Run(step);
            model.Count(waits ? "step waited for a locked row" : "step passed a locked row");
            if (waits)
            {
                await Task.WhenAny(running, Task.Delay(WatchBlocked));
                Expect(!running.IsCompleted, $"the step to wait while another session holds row {id} locked; it finished");
            }
            else
            {
                await running;
            }
        }
        finally
        {
            await rowLock.DisposeAsync();
        }

        return await running;
    }

    private async Task CompareAsync(int step, LifecycleOp? op)
    {
        var problems = new List<string>();
        var rows = await engine.ReadJobsAsync();
        var byId = model.Jobs.ToDictionary(static j => j.Id);
        foreach (var row in rows)
        {
            if (!byId.Remove(row.Id, out var job))
            {
                problems.Add($"job {row.Id} is in the table, not in the model");
                continue;
            }

            var expected = Describe(job);
            var actual = Describe(row);
            if (expected != actual)
            {
                problems.Add($"job {row.Id}: model {expected}{Environment.NewLine}          table {actual}");
            }
        }

        problems.AddRange(byId.Keys.Select(static id => $"job {id} is in the model, not in the table"));

        var order = await engine.ReadRunAtOrderAsync();
        var expectedOrder = model.Jobs.Where(static j => j.State is JobState.Scheduled or JobState.Available or JobState.Retryable)
            .OrderBy(static j => j.RunAt).ThenBy(static j => j.Id).Select(static j => j.Id).ToList();
        if (!order.SequenceEqual(expectedOrder))
        {
            problems.Add($"run-at order of waiting jobs: model [{string.Join(", ", expectedOrder)}], table [{string.Join(", ", order)}]");
        }

        var paused = await engine.ReadPausedAsync();
        var expectedPaused = model.Paused.Select(EngineAdapter.QueueName).ToList();
        if (!paused.SequenceEqual(expectedPaused))
        {
            problems.Add($"paused queues: model [{string.Join(", ", expectedPaused)}], table [{string.Join(", ", paused)}]");
        }

        var nodes = await engine.ReadLiveNodesAsync();
        var expectedNodes = model.Nodes.Where(n => n.Value.SeenTick == model.Tick).Select(static n => n.Key).Order(StringComparer.Ordinal).ToList();
        if (!nodes.SequenceEqual(expectedNodes))
        {
            problems.Add($"live nodes: model [{string.Join(", ", expectedNodes)}], table [{string.Join(", ", nodes)}]");
        }

        foreach (var worker in model.Workers)
        {
            var w = Array.IndexOf(model.Workers, worker);
            Expect(engine.IsAlive(w) == worker.Alive, $"worker {worker.Name} alive: {worker.Alive}");
            if (worker.Alive)
            {
                var (ids, attempts) = engine.Tracked(w);
                var actual = string.Join(" ", ids.Zip(attempts, static (id, a) => $"{id}@{a}"));
                var expected = string.Join(" ", worker.Tracked.Select(static t => $"{t.Key}@{t.Value}"));
                if (actual != expected)
                {
                    problems.Add($"running set of {worker.Name}: model [{expected}], worker [{actual}]");
                }
            }
        }

        if (problems.Count > 0)
        {
            var report = new StringBuilder();
            report.AppendLine($"After step {step} ({op?.ToString() ?? "start"}), tick {model.Tick}, the engine and the model disagree:");
            foreach (var problem in problems)
            {
                report.AppendLine($"  - {problem}");
            }

            throw new ModelMismatchException(report.ToString());
        }
    }

    private string Describe(ModelJob job) => string.Join(" ",
        $"q{job.Queue}", job.State.ToString().ToLowerInvariant(), $"prio={job.Priority}", $"attempt={job.Attempt}/{job.MaxAttempts}",
        $"by={job.AttemptedBy ?? "-"}",
        job.State is JobState.Scheduled or JobState.Available or JobState.Retryable ? $"due={job.RunAt.Tick <= model.Tick}" : "",
        job.State is JobState.Running ? $"fresh={job.HeartbeatTick == model.Tick}" : "",
        $"errors=[{string.Join(",", job.Errors)}]", job.Key is null ? "" : "unique");

    private static string Describe(EngineAdapter.JobRow row) => string.Join(" ",
        row.Queue, row.State, $"prio={row.Priority}", $"attempt={row.Attempt}/{row.MaxAttempts}", $"by={row.AttemptedBy ?? "-"}",
        row.State is "scheduled" or "available" or "retryable" ? $"due={row.Due}" : "",
        row.State == "running" ? $"fresh={row.HeartbeatFresh}" : "",
        $"errors=[{row.Errors}]", row.Unique ? "unique" : "");

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new ModelMismatchException($"Expected {what}.");
        }
    }
}

/// <summary>The engine did something the model says it must not (or did not do what it must).</summary>
internal sealed class ModelMismatchException(string message, Exception? inner = null) : Exception(message, inner);
