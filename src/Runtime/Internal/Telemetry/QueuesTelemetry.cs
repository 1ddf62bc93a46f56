using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Queues.Internal.Telemetry;

/// <summary>
/// The <see cref="ActivitySource"/> and <see cref="Meter"/> named <see cref="QueuesInstrumentation.ActivitySourceName"/>
/// and every instrument, with the one-line calls the engine makes. Static, as the BCL's own sources are: one per
/// process whatever the number of workers or clients, so a listener sees them all. Each call checks its instrument's
/// <see cref="Instrument.Enabled"/> (or <see cref="ActivitySource.HasListeners"/>) first, so nothing is allocated or
/// formatted while nobody listens.
/// </summary>
internal static class QueuesTelemetry
{
    private static readonly string? s_version = typeof(QueuesTelemetry).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource Source = new(QueuesInstrumentation.ActivitySourceName, s_version);

    public static readonly Meter Meter = new(QueuesInstrumentation.MeterName, s_version);

    public static readonly Counter<long> EnqueuedCounter = Meter.CreateCounter<long>("queues.job.enqueued", "{job}", "Jobs inserted (committed or not).");

    public static readonly Counter<long> Started = Meter.CreateCounter<long>("queues.job.started", "{job}", "Attempts started (jobs claimed and dispatched).");

    public static readonly Counter<long> Completed = Meter.CreateCounter<long>("queues.job.completed", "{job}", "Attempts whose handler returned normally and completed the job.");

    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("queues.job.failed", "{job}", "Attempts that failed (threw, timed out, unknown job name, work that could not commit), by error.type.");

    public static readonly Counter<long> Retried = Meter.CreateCounter<long>("queues.job.retried", "{job}", "Failed attempts that left the job retryable.");

    public static readonly Counter<long> Discarded = Meter.CreateCounter<long>("queues.job.discarded", "{job}", "Jobs discarded: out of attempts, bad payload, or the handler's request; by error.type.");

    public static readonly Counter<long> Rescued = Meter.CreateCounter<long>("queues.job.rescued", "{job}", "Running jobs whose worker stopped heartbeating, retried or discarded by the maintenance leader.");

    public static readonly Histogram<double> Duration = CreateSeconds("queues.job.duration", "How long one attempt's handler ran, by outcome.");

    public static readonly Histogram<double> WaitTime = CreateSeconds("queues.job.wait.duration", "How long a job was due before an attempt started (run_at to claim).");

    /// <summary>Observed only while a listener enables it; reads the snapshots the maintenance leaders keep (see <see cref="QueueStats"/>).</summary>
    public static readonly ObservableUpDownCounter<long> JobCount = Meter.CreateObservableUpDownCounter("queues.job.count", QueueStats.ObserveCounts, "{job}",
        "Unfinished jobs by queue and state (scheduled, available, running, retryable) in each schema, reported by its maintenance leader.");

    public static readonly ObservableGauge<double> OldestAvailableAge = Meter.CreateObservableGauge("queues.job.available.oldest_age", QueueStats.ObserveOldest, "s",
        "Per queue, how long the oldest available job has been due, reported by the schema's maintenance leader.");

    /// <summary>Whether anyone observes the gauges (so the maintenance leader's statistics query is worth running).</summary>
    public static bool GaugesObserved => JobCount.Enabled || OldestAvailableAge.Enabled;

    private static Histogram<double> CreateSeconds(string name, string description)
#if NET9_0_OR_GREATER
        => Meter.CreateHistogram(name, "s", description, tags: null, advice: new InstrumentAdvice<double>
        {
            // The default boundaries are for milliseconds; these span 5 ms to an hour.
            HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
        });
#else
        => Meter.CreateHistogram<double>(name, "s", description);
#endif

    /// <summary>
    /// Starts the enqueue span (kind Producer) as a child of the caller's current activity, or returns null when nobody
    /// listens or samples it. One span for a bulk enqueue too: every job carries its context, and <see cref="Enqueued"/> sets the batch size.
    /// </summary>
    public static Activity? StartEnqueue(string queue, string jobName)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity("send " + queue, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(Tags.MessagingSystem, Tags.System);
            activity.SetTag(Tags.OperationType, "send");
            activity.SetTag(Tags.OperationName, "enqueue");
            activity.SetTag(Tags.DestinationName, queue);
            activity.SetTag(Tags.JobName, jobName);
        }

        return activity;
    }

    /// <summary>The row to insert, carrying the current trace context (the enqueue span's) when there is one.</summary>
    public static NewJob WithTraceContext(NewJob row) => TraceContext.Capture() is { } context ? row with { TraceContext = context } : row;

    /// <summary>Counts <paramref name="count"/> inserted jobs and sets the new job's id on the enqueue span (the span is the caller's to dispose).</summary>
    public static void Enqueued(Activity? activity, NewJob row, int count, long? jobId = null)
    {
        if (EnqueuedCounter.Enabled && count > 0)
        {
            EnqueuedCounter.Add(count, Tags2(row.Queue, row.Name));
        }

        if (activity is { IsAllDataRequested: true })
        {
            if (jobId is { } id)
            {
                activity.SetTag(Tags.MessageId, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                activity.SetTag(Tags.BatchMessageCount, count);
            }
        }
    }

    /// <summary>
    /// Records a failed enqueue on its span (status Error and an exception event). Returns false, to be used as an
    /// exception filter that lets the exception through untouched.
    /// </summary>
    public static bool EnqueueFailed(Activity? activity, Exception exception)
    {
        if (activity is { IsAllDataRequested: true })
        {
            RecordException(activity, exception, exception.GetType().FullName);
        }

        return false;
    }

    /// <summary>
    /// Starts the processing span of one attempt (kind Consumer). Following the messaging conventions for a single
    /// message, its parent is the job's creation context (the enqueue span, so the request that enqueued the job shows
    /// its runs) and it also links to that context; without one it is a root span. Counts the start and the wait.
    /// </summary>
    public static Activity? StartProcess(ClaimedJob job)
    {
        var tags = Tags2(job.Queue, job.Name);
        if (Started.Enabled)
        {
            Started.Add(1, tags);
        }

        if (WaitTime.Enabled && job.RunAt is { } runAt && job.AttemptedAt is { } attemptedAt)
        {
            var wait = (attemptedAt - runAt).TotalSeconds;
            WaitTime.Record(wait < 0 ? 0 : wait, tags);
        }

        if (!Source.HasListeners())
        {
            return null;
        }

        // The fetch loop dispatches without flowing its execution context, so with no creation context this is a root span.
        var activity = TraceContext.TryParse(job.TraceContext, out var creation)
            ? Source.StartActivity(ActivityKind.Consumer, creation, links: [new ActivityLink(creation)], name: "process " + job.Queue)
            : Source.StartActivity("process " + job.Queue, ActivityKind.Consumer);

        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(Tags.MessagingSystem, Tags.System);
            activity.SetTag(Tags.OperationType, "process");
            activity.SetTag(Tags.OperationName, "process");
            activity.SetTag(Tags.DestinationName, job.Queue);
            activity.SetTag(Tags.MessageId, job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag(Tags.JobName, job.Name);
            activity.SetTag(Tags.JobAttempt, (int)job.Attempt);
        }

        return activity;
    }

    /// <summary>Ends one attempt's processing span and records its duration and outcome.</summary>
    public static void EndProcess(Activity? activity, ClaimedJob job, in JobResult result, long startTimestamp)
    {
        var outcome = Outcome(result.Kind);
        if (Duration.Enabled)
        {
            Duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds,
                new KeyValuePair<string, object?>(Tags.DestinationName, job.Queue), new KeyValuePair<string, object?>(Tags.JobName, job.Name),
                new KeyValuePair<string, object?>(Tags.JobOutcome, outcome));
        }

        if (activity is null)
        {
            return;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag(Tags.JobOutcome, outcome);
            if (result.Kind is JobResultKind.Failed or JobResultKind.Discarded && result.Error is { } error)
            {
                activity.SetTag(Tags.ErrorKind, error.Kind);
                if (result.Exception is { } exception)
                {
                    RecordException(activity, exception, error.Kind);
                }
                else
                {
                    activity.SetTag(Tags.ErrorType, error.Kind);
                    activity.SetStatus(ActivityStatusCode.Error, error.Message);
                }
            }
        }

        activity.Dispose();
    }

    /// <summary>Counts an outcome the completer wrote: completed, failed (and retried or discarded), discarded.</summary>
    /// <param name="job">The run.</param>
    /// <param name="result">What the run came to.</param>
    /// <param name="state">For a failure, the state the job is in now (retryable or discarded), or null when the guard did not match.</param>
    public static void CountOutcome(ClaimedJob job, in JobResult result, string? state = null)
    {
        switch (result.Kind)
        {
            case JobResultKind.Completed when Completed.Enabled:
                Completed.Add(1, Tags2(job.Queue, job.Name));
                break;
            case JobResultKind.Failed:
                var kind = result.Error?.Kind ?? ErrorKinds.Exception;
                if (Failed.Enabled)
                {
                    Failed.Add(1, Tags3(job.Queue, job.Name, kind));
                }

                if (state == "retryable" && Retried.Enabled)
                {
                    Retried.Add(1, Tags2(job.Queue, job.Name));
                }
                else if (state == "discarded" && Discarded.Enabled)
                {
                    Discarded.Add(1, Tags3(job.Queue, job.Name, kind));
                }

                break;
            case JobResultKind.Discarded when Discarded.Enabled:
                Discarded.Add(1, Tags3(job.Queue, job.Name, result.Error?.Kind ?? ErrorKinds.Discarded));
                break;
        }
    }

    /// <summary>Counts an outcome written with a guarded statement when the guard matched; returns <paramref name="matched"/>.</summary>
    public static bool Counted(ClaimedJob job, in JobResult result, bool matched)
    {
        if (matched)
        {
            CountOutcome(job, result);
        }

        return matched;
    }

    /// <summary>Counts jobs completed in one batched statement.</summary>
    public static void CountCompleted(IReadOnlyList<ClaimedJob> jobs)
    {
        if (Completed.Enabled)
        {
            foreach (var job in jobs)
            {
                Completed.Add(1, Tags2(job.Queue, job.Name));
            }
        }
    }

    /// <summary>Counts jobs the maintenance leader rescued.</summary>
    public static void CountRescued(int count)
    {
        if (count > 0 && Rescued.Enabled)
        {
            Rescued.Add(count);
        }
    }

    private static string Outcome(JobResultKind kind) => kind switch
    {
        JobResultKind.Completed => "completed",
        JobResultKind.Failed => "failed",
        JobResultKind.Snoozed => "snoozed",
        JobResultKind.Cancelled => "cancelled",
        JobResultKind.Discarded => "discarded",
        JobResultKind.Released => "released",
        JobResultKind.CancelledElsewhere => "cancelled",
        _ => "unknown",
    };

    private static void RecordException(Activity activity, Exception exception, string? errorType)
    {
        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity.SetTag(Tags.ErrorType, errorType ?? exception.GetType().FullName);

        // The OpenTelemetry exception event (Activity.AddException exists only from .NET 9).
        activity.AddEvent(new ActivityEvent("exception", tags: new ActivityTagsCollection
        {
            { "exception.type", exception.GetType().FullName },
            { "exception.message", exception.Message },
            { "exception.stacktrace", exception.ToString() },
        }));
    }

    private static TagList Tags2(string queue, string name)
        => new() { { Tags.DestinationName, queue }, { Tags.JobName, name } };

    private static TagList Tags3(string queue, string name, string errorType)
        => new() { { Tags.DestinationName, queue }, { Tags.JobName, name }, { Tags.ErrorType, errorType } };
}
