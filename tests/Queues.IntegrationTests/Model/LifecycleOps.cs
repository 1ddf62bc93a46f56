using CsCheck;

namespace Queues.IntegrationTests.Model;

/// <summary>
/// One step of a generated sequence. Steps name workers, queues and jobs by small indexes (a job by its position among
/// the jobs, or among a worker's tracked runs, modulo their count), never by id, so a sequence means something whatever
/// ids the database hands out, and shrinks well. <c>LostReply</c>: the step committed but its caller did not hear, so it
/// runs again as a worker (or an operator) retrying would. <c>Lock</c>/<c>Locked</c>: another session holds a row
/// <c>SELECT … FOR UPDATE</c> while the step runs (-1: none).
/// </summary>
public abstract record LifecycleOp;

public enum EnqueueKind { Plain, Scheduled, Unique }

public enum OutcomeKind { Complete, Fail, Snooze, Cancel, Discard }

/// <param name="DelayTicks">Scheduled and unique jobs: run-at this many ticks ahead (0: now).</param>
/// <param name="Key">Unique jobs: the key, one of a few so that keys collide.</param>
/// <param name="RolledBack">Enqueued in a transaction that rolls back.</param>
public sealed record EnqueueOp(EnqueueKind Kind, int Queue, short Priority, short MaxAttempts, int DelayTicks, int Key, UniqueStates States,
    bool RolledBack, bool LostReply) : LifecycleOp;

public sealed record ClaimOp(int Worker, int Queue, int Limit, bool LostReply, int Lock) : LifecycleOp;

/// <summary>
/// The handler of one of the worker's tracked runs returned this outcome; the completer records it. A worker that tracks
/// nothing hands the step to the other one. <paramref name="Late"/>: a run the worker no longer owns (rescued or
/// cancelled while it was frozen), when it has one: the handler that finishes after all.
/// </summary>
public sealed record OutcomeOp(int Worker, int Pick, OutcomeKind Kind, int DelayTicks, bool LostReply, bool Locked, bool Late) : LifecycleOp;

public sealed record BeatOp(int Worker, int Lock) : LifecycleOp;

/// <summary>
/// Time passes: one tick, longer than RescueAfter. Every live worker beats at the end of it, as its heartbeat thread
/// would, except <paramref name="Frozen"/> (-1: none), which looks dead from then on until it beats again; then the
/// maintenance leader, in <paramref name="Leader"/>'s process, promotes and rescues, as it does every poll.
/// </summary>
public sealed record AdvanceOp(int Frozen, int Leader) : LifecycleOp;

/// <summary>The maintenance leader's rescue, run in the process of <paramref name="Leader"/> (or a process of its own when that worker is dead).</summary>
public sealed record RescueOp(int Leader, int Lock) : LifecycleOp;

public sealed record PromoteOp(int Lock) : LifecycleOp;

public sealed record AdminCancelOp(int Pick, bool LostReply, bool Locked) : LifecycleOp;

public sealed record AdminRetryOp(int Pick, bool Locked) : LifecycleOp;

public sealed record PauseOp(int Queue) : LifecycleOp;

public sealed record ResumeOp(int Queue) : LifecycleOp;

/// <summary>The worker process dies (SIGKILL): what it tracked is gone, its node row stays until it goes stale.</summary>
public sealed record KillOp(int Worker) : LifecycleOp;

/// <summary>A dead worker starts again under the same name (a new process instance) and beats once before it claims.</summary>
public sealed record StartOp(int Worker) : LifecycleOp;

/// <summary>The CsCheck generators of <see cref="LifecycleOp"/> sequences.</summary>
public static class LifecycleGen
{
    public const int Workers = 2;
    public const int Queues = 2;

    private static readonly Gen<int> Worker = Gen.Int[0, Workers - 1];
    /// <summary>Mostly the first queue, so that claims find what was enqueued; the second keeps pauses and queue order honest.</summary>
    private static readonly Gen<int> Queue = Gen.Frequency((6, Gen.Const(0)), (1, Gen.Int[1, Queues - 1]));
    private static readonly Gen<int> Pick = Gen.Int[0, 7];

    /// <summary>Mostly no lock; sometimes a row of the table, picked like a job.</summary>
    private static readonly Gen<int> Lock = Gen.Frequency((10, Gen.Const(-1)), (1, Pick));
    private static readonly Gen<bool> Rarely = Gen.Frequency((8, Gen.Const(false)), (1, Gen.Const(true)));

    private static readonly Gen<LifecycleOp> Enqueue =
        Gen.Select(Gen.Frequency((2, Gen.Const(EnqueueKind.Plain)), (1, Gen.Const(EnqueueKind.Scheduled)), (1, Gen.Const(EnqueueKind.Unique))), Queue, Gen.Short[0, 1], Gen.Short[1, 3], Gen.Int[0, 2], Gen.Int[0, 1],
            Gen.Enum<UniqueStates>(), Gen.Select(Rarely, Rarely))
        .Select(static (kind, queue, priority, maxAttempts, delay, key, states, flags) => (LifecycleOp)new EnqueueOp(
            kind, queue, priority, maxAttempts, kind == EnqueueKind.Plain ? 0 : kind == EnqueueKind.Unique ? Math.Min(delay, 1) : delay, key,
            kind == EnqueueKind.Unique ? states : UniqueStates.Unfinished, flags.Item1, flags.Item2 && !flags.Item1));

    private static readonly Gen<LifecycleOp> Claim =
        Gen.Select(Worker, Queue, Gen.Int[1, 3], Rarely, Lock).Select(static (w, q, n, lost, lockPick) => (LifecycleOp)new ClaimOp(w, q, n, lost, lockPick));

    private static readonly Gen<LifecycleOp> Outcome =
        Gen.Select(Worker, Pick, Gen.Enum<OutcomeKind>(), Gen.Int[0, 1], Rarely, Gen.Frequency((15, Gen.Const(false)), (1, Gen.Const(true))),
                Gen.Frequency((2, Gen.Const(false)), (1, Gen.Const(true))))
            .Select(static (w, pick, kind, delay, lost, locked, late) => (LifecycleOp)new OutcomeOp(w, pick, kind, delay, lost, locked, late));

    /// <summary>A sequence of up to <paramref name="steps"/> operations.</summary>
    public static Gen<LifecycleOp[]> Sequence(int steps) => Gen.Frequency(
        (7, Enqueue),
        (6, Claim),
        (8, Outcome),
        (4, Gen.Select(Worker, Lock).Select(static (w, l) => (LifecycleOp)new BeatOp(w, l))),
        (3, Gen.Select(Gen.Frequency((1, Gen.Const(-1)), (2, Worker)), Worker).Select(static (frozen, leader) => (LifecycleOp)new AdvanceOp(frozen, leader))),
        (3, Gen.Select(Worker, Lock).Select(static (w, l) => (LifecycleOp)new RescueOp(w, l))),
        (3, Lock.Select(static l => (LifecycleOp)new PromoteOp(l))),
        (1, Gen.Select(Pick, Rarely, Rarely).Select(static (p, lost, locked) => (LifecycleOp)new AdminCancelOp(p, lost, locked))),
        (1, Gen.Select(Pick, Rarely).Select(static (p, locked) => (LifecycleOp)new AdminRetryOp(p, locked))),
        (1, Queue.Select(static q => (LifecycleOp)new PauseOp(q))),
        (2, Queue.Select(static q => (LifecycleOp)new ResumeOp(q))),
        (1, Worker.Select(static w => (LifecycleOp)new KillOp(w))),
        (2, Worker.Select(static w => (LifecycleOp)new StartOp(w))))
        .Array[1, steps];

    /// <summary>One line per step, for the failure report.</summary>
    public static string Print(LifecycleOp[] ops) => string.Join(Environment.NewLine, ops.Select(static (op, i) => $"  {i + 1,3}. {op}"));
}
