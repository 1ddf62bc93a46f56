using System.Diagnostics;

namespace Queues.Internal;

/// <summary>
/// Paces a periodic read whose cost grows with the dead rows a held snapshot keeps — one that walks an index from its
/// head, or reads every running row (docs/architecture.md, "The claim walk"): after a run that took <c>d</c>, the next is
/// due no sooner than <see cref="Share"/>·<c>d</c> later, so such reads take at most a twentieth of the time however long
/// the snapshot is held. Without one they take a millisecond or so and run at their own interval, as before.
/// Not thread-safe: one loop's.
/// </summary>
internal sealed class Pacing
{
    /// <summary>A paced read comes at least this many times its own last duration after it.</summary>
    public const int Share = 20;

    private long _due;

    /// <summary>Whether the read may run at <paramref name="now"/> (a stopwatch timestamp).</summary>
    public bool Due(long now) => now >= _due;

    /// <summary>Records a run between <paramref name="started"/> and <paramref name="ended"/> (stopwatch timestamps).</summary>
    public void Ran(long started, long ended) => _due = ended + ((ended - started) * Share);

    /// <summary>Runs <paramref name="read"/> when due, and records it; false when it was not due.</summary>
    public async Task<bool> RunAsync(Func<CancellationToken, Task> read, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (!Due(started))
        {
            return false;
        }

        await read(cancellationToken).ConfigureAwait(false);
        Ran(started, Stopwatch.GetTimestamp());
        return true;
    }
}
