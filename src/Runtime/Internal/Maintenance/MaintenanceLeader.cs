using Microsoft.Extensions.Logging;

namespace Queues.Internal;

/// <summary>
/// Leader-only upkeep of a schema. Every worker competes for a lease row (UNLOGGED table); the holder renews it each
/// tick, and when it dies the lease expires and any worker takes over. Each tick the leader runs its services in turn:
/// <see cref="JobPromoter"/>, <see cref="JobRescuer"/>, <see cref="JobRetention"/> and <see cref="CronEnqueuer"/>.
/// </summary>
internal sealed class MaintenanceLeader
{
    /// <summary>The timings a leader works by, named so that four adjacent durations cannot be passed in the wrong order.</summary>
    /// <param name="PollInterval">How often the leader ticks at most (and at least once a second).</param>
    /// <param name="RescueAfter">How long a worker's node row may go unseen before its running jobs are rescued.</param>
    /// <param name="RetainCompletedFor">How long completed and cancelled jobs are kept.</param>
    /// <param name="RetainDiscardedFor">How long discarded jobs are kept.</param>
    public sealed record Timings(TimeSpan PollInterval, TimeSpan RescueAfter, TimeSpan RetainCompletedFor, TimeSpan RetainDiscardedFor)
    {
        public static Timings From(QueuesOptions options) => new(options.PollInterval, options.RescueAfter, options.RetainCompletedFor, options.RetainDiscardedFor);
    }

    private static readonly TimeSpan MinLease = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxLease = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxTick = TimeSpan.FromSeconds(1);

    private readonly JobStore _store;
    private readonly string _workerName;
    private readonly TimeSpan _tick;
    private readonly JobPromoter _promoter;
    private readonly JobRescuer _rescuer;
    private readonly JobRetention _retention;
    private readonly CronEnqueuer _cron;
    private readonly ILogger _logger;
    private readonly LeaderWatch? _watch;
    private readonly Outage _outage;
    private bool _leader;

    public MaintenanceLeader(JobStore store, string workerName, Timings timings, JobRegistry registry, Func<long[]> runningHere, Action<string?> wake,
        ILogger logger, LeaderWatch? watch = null, Outage? outage = null)
    {
        _outage = outage ?? new Outage(logger, $"Maintenance of schema {store.Schema}");
        var (pollInterval, rescueAfter) = (timings.PollInterval, timings.RescueAfter);
        _watch = watch;
        _store = store;
        _workerName = workerName;
        _logger = logger;

        // A dead leader stops rescues until its lease runs out, so the lease scales with RescueAfter: a third of it,
        // 1 to 10 seconds (10 s with the defaults). The leader renews it at least four times per lease.
        var third = rescueAfter / 3;
        LeaseDuration = third < MinLease ? MinLease : third > MaxLease ? MaxLease : third;
        _tick = pollInterval < MaxTick ? pollInterval : MaxTick;
        if (_tick > LeaseDuration / 4)
        {
            _tick = LeaseDuration / 4;
        }

        _promoter = new JobPromoter(store, wake, logger);
        _rescuer = new JobRescuer(store, rescueAfter, runningHere, logger);
        _retention = new JobRetention(store, timings.RetainCompletedFor, timings.RetainDiscardedFor, logger);
        _cron = new CronEnqueuer(store, registry, LeaseDuration, logger);
    }

    /// <summary>How long a lease lasts without renewal: a dead leader is replaced within this.</summary>
    public TimeSpan LeaseDuration { get; }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var leader = await HoldLeaseAsync(stoppingToken).ConfigureAwait(false);
                await (_watch?.RunOnceAsync(leader, stoppingToken) ?? Task.CompletedTask).ConfigureAwait(false);
                if (leader)
                {
                    var morePromotable = await _promoter.RunOnceAsync(stoppingToken).ConfigureAwait(false);
                    await _rescuer.RunOnceAsync(stoppingToken).ConfigureAwait(false);
                    await _retention.RunOnceAsync(stoppingToken).ConfigureAwait(false);
                    await _cron.RunOnceAsync(stoppingToken).ConfigureAwait(false);
                    if (morePromotable)
                    {
                        failures = 0;
                        _outage.Succeeded();
                        continue;
                    }
                }

                failures = 0;
                _outage.Succeeded();

                await Task.Delay(_tick, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                var delay = Backoff.Delay(++failures);
                if (_outage.Failed(exception))
                {
                    LogMessages.MaintenanceFailed(_logger, exception, _store.Schema, (long)delay.TotalMilliseconds);
                }
                await Backoff.WaitAsync(delay, stoppingToken).ConfigureAwait(false);
            }
        }

        _watch?.Stop();
        if (_leader)
        {
            // Hand over at once instead of letting the lease run out.
            try
            {
                await _store.ReleaseLeaseAsync(_workerName, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                LogMessages.LeaseReleaseFailed(_logger, exception, _store.Schema, (long)LeaseDuration.TotalMilliseconds);
            }
        }
    }

    private async Task<bool> HoldLeaseAsync(CancellationToken cancellationToken)
    {
        var leader = await _store.AcquireLeaseAsync(_workerName, LeaseDuration, cancellationToken).ConfigureAwait(false);
        if (leader != _leader)
        {
            if (leader)
            {
                LogMessages.LeadershipGained(_logger, _workerName, _store.Schema);
            }
            else
            {
                LogMessages.LeadershipLost(_logger, _workerName, _store.Schema);
            }

            _leader = leader;
            _cron.Reset();
        }

        return leader;
    }
}
