namespace Queues.Dashboard.Internal;

/// <summary>
/// The finished-per-minute chart of the last hour, counted once per minute rather than once per poll: minutes that have
/// settled are kept, and each poll counts only the minutes since (one or two minutes of rows through the
/// <c>finalized_at</c> index instead of an hour's). A minute counts as settled one minute after it ends, because a
/// completion is written within a second or so of its <c>finalized_at</c> (batched, asynchronously committed).
/// </summary>
internal sealed class ThroughputCache
{
    public static readonly TimeSpan Bucket = TimeSpan.FromMinutes(1);
    public const int Buckets = 60;

    private readonly object _gate = new();
    private List<JobTimeCount> _settled = [];
    private DateTimeOffset _settledUntil = DateTimeOffset.MinValue;

    public async Task<List<JobTimeCount>> GetAsync(QueuesAdmin admin, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var minute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        var windowStart = minute - (Buckets - 1) * Bucket;
        var settleBefore = minute - Bucket;
        List<JobTimeCount> settled;
        DateTimeOffset settledUntil;
        lock (_gate)
        {
            settled = _settled;
            settledUntil = _settledUntil;
        }

        var from = settledUntil > windowStart ? settledUntil : windowStart;
        var fresh = await admin.CountFinishedOverTimeAsync(Bucket, from, minute + Bucket, cancellationToken).ConfigureAwait(false);
        var kept = settled.Where(b => b.BucketStart >= windowStart && b.BucketStart < from).ToList();
        lock (_gate)
        {
            if (_settledUntil == settledUntil && settleBefore > from)
            {
                _settled = [.. kept, .. fresh.Where(b => b.BucketStart < settleBefore)];
                _settledUntil = settleBefore;
            }
        }

        return [.. kept, .. fresh];
    }
}
