namespace Queues.IntegrationTests.Model;

/// <summary>
/// The reference model of the job lifecycle: plain C#, no SQL, written from the promises (docs/guarantees.md) rather than
/// from the statements. Time is counted in ticks, each longer than RescueAfter; within a tick statements are ordered by a
/// sequence number, which stands for the wall clock (a run-at is the pair (tick, seq)). What it keeps per job is what the
/// test compares with the jobs table after every step.
/// </summary>
public sealed class LifecycleModel
{
    /// <summary>The highest attempt (Sql.AttemptCeiling): the last one whatever max_attempts says.</summary>
    public const short AttemptCeiling = 32766;

    public long Tick { get; private set; }

    private long _seq;

    public List<ModelJob> Jobs { get; } = [];

    public SortedSet<int> Paused { get; } = [];

    public ModelWorker[] Workers { get; } = [.. Enumerable.Range(0, LifecycleGen.Workers).Select(static i => new ModelWorker($"w{i}"))];

    /// <summary>Node rows by worker name: the instance that wrote it last and the tick it did.</summary>
    public Dictionary<string, (int Incarnation, long SeenTick)> Nodes { get; } = [];

    /// <summary>The id of the row another session holds locked during the current step, or null.</summary>
    public long? Locked { get; set; }

    private long _claims;

    /// <summary>How often each interesting transition happened: the test reports it, so a budget that no longer reaches one shows.</summary>
    public Dictionary<string, int> Events { get; } = [];

    public void Count(string what) => Events[what] = Events.GetValueOrDefault(what) + 1;

    /// <summary>A new statement: run-ats it sets order after every earlier one in the same tick.</summary>
    public long NextSeq() => ++_seq;

    public ModelJob? JobAt(int pick) => Jobs.Count == 0 ? null : Jobs[pick % Jobs.Count];

    public ModelJob Job(long id) => Jobs.First(j => j.Id == id);

    private bool IsLocked(ModelJob job) => Locked == job.Id;

    // ---- Enqueue ----

    /// <summary>The job that holds <paramref name="key"/>, if any (unfinished jobs always; finished ones as their own states say).</summary>
    public ModelJob? Holder(int key, long exceptId = 0) => Jobs.FirstOrDefault(j => j.Key == key && j.Id != exceptId && j.HoldsKey);

    /// <summary>What an enqueue should do: null when it inserts, else the holder it reports as duplicate.</summary>
    public ModelJob? DuplicateOf(EnqueueOp op) => op.Kind == EnqueueKind.Unique ? Holder(op.Key) : null;

    public ModelJob Insert(EnqueueOp op, long id)
    {
        var seq = NextSeq();
        var job = new ModelJob(id, op.Queue, op.Priority, op.MaxAttempts, op.Kind == EnqueueKind.Unique ? op.Key : null, op.States)
        {
            State = op.DelayTicks > 0 ? JobState.Scheduled : JobState.Available,
            RunAt = (Tick + op.DelayTicks, seq),
        };
        Jobs.Add(job);
        return job;
    }

    // ---- Claim ----

    /// <summary>The jobs a claim of <paramref name="limit"/> rows of <paramref name="queue"/> takes, in claim order.</summary>
    public List<ModelJob> ClaimCandidates(int queue, int limit) => Paused.Contains(queue)
        ? []
        : [.. Jobs.Where(j => j.State == JobState.Available && j.Queue == queue && j.RunAt.Tick <= Tick && !IsLocked(j))
            .OrderBy(static j => j.Priority).ThenBy(static j => j.RunAt).ThenBy(static j => j.Id).Take(limit)];

    public void Claim(ModelWorker worker, IEnumerable<ModelJob> jobs, bool tracked)
    {
        foreach (var job in jobs)
        {
            job.State = JobState.Running;
            job.Attempt = job.Attempt < AttemptCeiling ? (short)(job.Attempt + 1) : AttemptCeiling;
            job.AttemptedBy = worker.Name;
            job.HeartbeatTick = Tick;
            job.Claim = ++_claims;
            if (tracked)
            {
                worker.Tracked[job.Id] = job.Attempt;
            }
        }
    }

    // ---- Outcomes: every one guarded by (state running, attempt) ----

    /// <summary>Records an outcome of run (<paramref name="id"/>, <paramref name="attempt"/>); returns whether it changed the row.</summary>
    public bool Outcome(ModelWorker worker, long id, short attempt, OutcomeKind kind, int delayTicks)
    {
        var job = Job(id);
        var applies = job.State == JobState.Running && job.Attempt == attempt;
        Count(applies ? $"outcome {kind}" : job.State == JobState.Running ? "outcome of an earlier run rejected, job running again" : "outcome of an earlier run rejected");
        if (applies)
        {
            var seq = NextSeq();
            switch (kind)
            {
                case OutcomeKind.Complete:
                    job.State = JobState.Completed;
                    break;
                case OutcomeKind.Fail:
                    job.Errors.Add(ErrorKinds.Exception);
                    if (job.OutOfAttempts)
                    {
                        job.State = JobState.Discarded;
                    }
                    else
                    {
                        job.State = JobState.Retryable;
                        job.RunAt = (Tick + delayTicks, seq);
                    }

                    break;
                case OutcomeKind.Snooze:
                    job.State = JobState.Scheduled;
                    job.RunAt = (Tick + delayTicks, seq);
                    job.Attempt = (short)Math.Max(job.Attempt - 1, 0);
                    job.AttemptedBy = null;
                    break;
                case OutcomeKind.Cancel:
                    job.State = JobState.Cancelled;
                    job.Errors.Add(ErrorKinds.Cancelled);
                    break;
                case OutcomeKind.Discard:
                    job.State = JobState.Discarded;
                    job.Errors.Add(ErrorKinds.Discarded);
                    break;
            }
        }

        // The completer forgets this attempt once its outcome is written, whether or not the guard matched.
        if (worker.Tracked.TryGetValue(id, out var tracked) && tracked == attempt)
        {
            worker.Tracked.Remove(id);
        }

        return applies;
    }

    // ---- Liveness ----

    /// <summary>A running job whose runner is gone is retried now, or discarded when that was its last attempt.</summary>
    private void RescueRun(ModelJob job)
    {
        job.Errors.Add(ErrorKinds.Rescued);
        job.State = job.OutOfAttempts ? JobState.Discarded : JobState.Retryable;
        job.RunAt = (Tick, _seq);
    }

    /// <summary>One heartbeat of <paramref name="worker"/>: its node, its tracked runs, and the running rows under its name it does not track.</summary>
    public void Beat(ModelWorker worker)
    {
        NextSeq();
        var shared = Nodes.TryGetValue(worker.Name, out var node) && node.Incarnation != worker.Incarnation && node.SeenTick == Tick;
        Nodes[worker.Name] = (worker.Incarnation, Tick);
        foreach (var (id, attempt) in worker.Tracked)
        {
            var job = Job(id);
            if (job.State == JobState.Running && job.Attempt == attempt && !IsLocked(job))
            {
                job.HeartbeatTick = Tick;
            }
        }

        if (shared)
        {
            // Another live process may write under this name: rows under it are not all this one's to judge.
            worker.Untracked = null;
            return;
        }

        // Rows read untracked at an earlier beat, still the same claim's and still untracked now, are nobody's.
        if (worker.Untracked is { } earlier)
        {
            foreach (var (id, attempt, claim) in earlier)
            {
                var job = Job(id);
                if (!worker.Tracked.ContainsKey(id) && job.State == JobState.Running && job.Attempt == attempt && job.Claim == claim
                    && job.AttemptedBy == worker.Name && !IsLocked(job))
                {
                    RescueRun(job);
                    Count("untracked run rescued by its worker");
                }
            }
        }

        var untracked = Jobs.Where(j => j.State == JobState.Running && j.AttemptedBy == worker.Name && !worker.Tracked.ContainsKey(j.Id))
            .Select(static j => (j.Id, j.Attempt, j.Claim)).ToList();
        worker.Untracked = untracked.Count > 0 ? untracked : null;
    }

    public void Advance() => Tick++;

    /// <summary>
    /// The leader's rescue: running jobs whose worker's node was not seen this tick (or is missing) and whose own
    /// heartbeat is as old, never one that <paramref name="leader"/>'s own process tracks.
    /// </summary>
    public void Rescue(ModelWorker? leader)
    {
        NextSeq();
        foreach (var job in Jobs.Where(j => j.State == JobState.Running).ToList())
        {
            var nodeAlive = Nodes.TryGetValue(job.AttemptedBy!, out var node) && node.SeenTick == Tick;
            if (job.HeartbeatTick < Tick && !nodeAlive && leader?.Tracked.ContainsKey(job.Id) != true && !IsLocked(job))
            {
                RescueRun(job);
                Count("run rescued by the leader");
            }
        }
    }

    public int Promote()
    {
        var due = Jobs.Where(j => j.State is JobState.Scheduled or JobState.Retryable && j.RunAt.Tick <= Tick && !IsLocked(j)).ToList();
        foreach (var job in due)
        {
            job.State = JobState.Available;
        }

        return due.Count;
    }

    // ---- Operator ----

    public bool AdminCancel(ModelJob job)
    {
        if (job.IsFinished)
        {
            return false;
        }

        job.State = JobState.Cancelled;
        job.Errors.Add(ErrorKinds.Cancelled);
        return true;
    }

    /// <summary>A retry by hand of a cancelled or discarded job: true, false (nothing to retry) or null (another job holds its unique key).</summary>
    public bool? AdminRetry(ModelJob job)
    {
        if (job.State is not (JobState.Cancelled or JobState.Discarded))
        {
            return false;
        }

        if (job.Key is { } key && Holder(key, job.Id) is not null)
        {
            return null;
        }

        job.State = JobState.Available;
        job.RunAt = (Tick, NextSeq());
        job.AttemptedBy = null;
        job.MaxAttempts = (short)Math.Max(job.MaxAttempts, job.Attempt + 1);
        return true;
    }

    public void Kill(ModelWorker worker)
    {
        worker.Alive = false;
        worker.Tracked.Clear();
        worker.Untracked = null;
    }

    public void Start(ModelWorker worker)
    {
        worker.Alive = true;
        worker.Incarnation++;
        Beat(worker);
    }
}

/// <summary>One job as the model sees it.</summary>
public sealed class ModelJob(long id, int queue, short priority, short maxAttempts, int? key, UniqueStates states)
{
    public long Id { get; } = id;

    public int Queue { get; } = queue;

    public short Priority { get; } = priority;

    public short MaxAttempts { get; set; } = maxAttempts;

    public int? Key { get; } = key;

    public UniqueStates States { get; } = states;

    public JobState State { get; set; }

    public short Attempt { get; set; }

    public string? AttemptedBy { get; set; }

    public (long Tick, long Seq) RunAt { get; set; }

    public long HeartbeatTick { get; set; }

    /// <summary>Which claim made the current run (attempted_at in the table).</summary>
    public long Claim { get; set; }

    public List<string> Errors { get; } = [];

    public bool IsFinished => State is JobState.Completed or JobState.Cancelled or JobState.Discarded;

    public bool OutOfAttempts => Attempt >= Math.Min(MaxAttempts, LifecycleModel.AttemptCeiling);

    public bool HoldsKey => Key is not null && State switch
    {
        JobState.Completed => States.HasFlag(UniqueStates.Completed),
        JobState.Cancelled => States.HasFlag(UniqueStates.Cancelled),
        JobState.Discarded => States.HasFlag(UniqueStates.Discarded),
        _ => true,
    };
}

/// <summary>A worker name and its current process: alive or not, the runs it tracks (id → attempt), the untracked rows its last beat read.</summary>
public sealed class ModelWorker(string name)
{
    public string Name { get; } = name;

    public bool Alive { get; set; }

    public int Incarnation { get; set; }

    public SortedDictionary<long, short> Tracked { get; } = [];

    public List<(long Id, short Attempt, long Claim)>? Untracked { get; set; }
}
