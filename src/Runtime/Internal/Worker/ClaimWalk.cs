namespace Queues.Internal;

/// <summary>
/// Where a fetch loop's claims start their walk of the claim index, so that a claim's cost does not grow with the dead
/// rows behind it (docs/architecture.md, "The claim walk").
/// <para>
/// A claim walks the claim index (queue, priority, run_at, id) in order and takes the first due, unlocked rows. Every row
/// a claim took leaves a dead entry at the front of that walk until vacuum removes it, and while any snapshot older than
/// those claims is open (a <c>pg_dump</c>, a long report, a forgotten idle transaction, a lagging replication slot)
/// vacuum removes nothing: a walk from the head reads every row claimed since the snapshot began, so claims get slower
/// minute by minute. A walk that starts where the last one ended reads only what is new.
/// </para>
/// <para>
/// So the loop keeps, per priority it has claimed at, a <b>floor</b>: the run-at of the last job it claimed at that
/// priority less <see cref="Margin"/>. A claim walks each priority from its floor (priorities without one from their
/// head), in priority order. Rows with a run-at below their priority's floor are out of order and rare: an enqueue whose
/// transaction committed more than <see cref="Margin"/> after it began (run_at is its transaction's start), a job
/// released by a stopping worker, promoted late, or edited by hand, a row another session held locked when the walk
/// passed it. A <b>walk from the head</b> finds them: the first claim, then again once its cost allows — after a walk
/// from the head that took <c>d</c>, the next comes <see cref="Pacing.Share"/>·<c>d</c> later (<see cref="Pacing"/>),
/// so walks from the head take at most a twentieth of the loop's time. Without a held snapshot they take about a
/// millisecond, so a walk from the head runs every few tens of milliseconds and out-of-order rows wait no longer than
/// that; while a snapshot holds back vacuum they grow slower, and come seconds apart.
/// </para>
/// Used by the fetch loop only, one claim at a time: not thread-safe.
/// </summary>
internal sealed class ClaimWalk
{
    /// <summary>
    /// How far below the last claimed run-at a priority's walk starts at least: covers enqueues that commit a little
    /// after they began (run_at is their transaction's start).
    /// </summary>
    internal static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(250);

    /// <summary>The widest margin: enqueues committing later than this after they began wait for a walk from the head.</summary>
    internal static readonly TimeSpan MaxMargin = TimeSpan.FromSeconds(5);

    /// <summary>The most priorities with a floor; a walk of any other priority starts at its head.</summary>
    internal const int MaxFloors = 8;

    /// <summary>The lowest bound of a walk: below every priority and every run-at (sent as <c>-infinity</c>).</summary>
    private const short LowestPriority = short.MinValue;

    private static readonly DateTime s_earliest = DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc);

    /// <summary>Above every priority (a smallint): the upper bound of the last range.</summary>
    private const int AbovePriorities = short.MaxValue + 1;

    /// <summary>The floors, ordered by priority.</summary>
    private readonly List<(short Priority, DateTime Floor)> _floors = [];

    /// <summary>When the next walk from the head is due.</summary>
    private readonly Pacing _head = new();
    private bool _fromHead;
    private TimeSpan _margin = Margin;

    /// <summary>The ranges of a walk from the head: one range, over every priority.</summary>
    public static (short[] Priorities, DateTime[] RunAts, int[] Ends) Head => ([LowestPriority], [s_earliest], [AbovePriorities]);

    /// <summary>Whether the claim being made walks from the head (set by <see cref="Next"/>).</summary>
    public bool FromHead => _fromHead;

    /// <summary>
    /// The ranges of the next claim's walk, in walk order: range <c>i</c> starts at (<c>Priorities[i]</c>,
    /// <c>RunAts[i]</c>) and ends before priority <c>Ends[i]</c>. One range covering everything when the walk is from
    /// the head.
    /// </summary>
    public (short[] Priorities, DateTime[] RunAts, int[] Ends) Next(long now)
    {
        _fromHead = _floors.Count == 0 || _head.Due(now);
        if (_fromHead)
        {
            return Head;
        }

        // Below the first floored priority from the head; each floored priority from its floor up to the next one.
        var count = _floors.Count + 1;
        var priorities = new short[count];
        var runAts = new DateTime[count];
        var ends = new int[count];
        priorities[0] = LowestPriority;
        runAts[0] = s_earliest;
        for (var i = 0; i < _floors.Count; i++)
        {
            ends[i] = _floors[i].Priority;
            priorities[i + 1] = _floors[i].Priority;
            runAts[i + 1] = _floors[i].Floor;
        }

        ends[^1] = AbovePriorities;
        return (priorities, runAts, ends);
    }

    /// <summary>
    /// Records a claim made with the ranges of <see cref="Next"/>, sent at <paramref name="sent"/> and answered at
    /// <paramref name="returned"/> (stopwatch timestamps), its <paramref name="jobs"/> in claim order. A claim moves the
    /// floor of each priority it took jobs at up to the last of them (less the margin); a walk from the head moves it to
    /// there, down as well: out-of-order rows it found below a floor may be the start of many (enqueues that all
    /// committed late), which the walks from that floor then take. Finding any widens the margin, up to
    /// <see cref="MaxMargin"/>; a walk from the head that finds none narrows it again, down to <see cref="Margin"/>.
    /// </summary>
    public void Claimed(List<ClaimedJob> jobs, long sent, long returned)
    {
        if (_fromHead)
        {
            _head.Ran(sent, returned);
        }

        var late = false;
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            if (job.RunAt is not { } runAt)
            {
                continue;
            }

            var index = 0;
            while (index < _floors.Count && _floors[index].Priority < job.Priority)
            {
                index++;
            }

            var found = index < _floors.Count && _floors[index].Priority == job.Priority;
            late |= _fromHead && found && runAt.UtcDateTime < _floors[index].Floor;
            if (i + 1 < jobs.Count && jobs[i + 1].Priority == job.Priority)
            {
                continue; // Not the last of its priority in this claim.
            }

            var floor = runAt.UtcDateTime - _margin;
            if (!found)
            {
                if (_floors.Count < MaxFloors)
                {
                    _floors.Insert(index, (job.Priority, floor));
                }
            }
            else if (_fromHead || floor > _floors[index].Floor)
            {
                _floors[index] = (job.Priority, floor);
            }
        }

        if (_fromHead)
        {
            _margin = late ? Min(_margin * 2, MaxMargin) : Max(_margin * 0.75, Margin);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
