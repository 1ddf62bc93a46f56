using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

/// <summary>
/// Traces and metrics seen through an <see cref="ActivityListener"/> and a <see cref="MeterListener"/>, as an
/// OpenTelemetry SDK sees them. Tests run in parallel in one process and the source and meter are static, so each test
/// samples only spans of its own traces and reads only measurements of its own (unique) queue.
/// </summary>
public sealed class TelemetryTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnqueuedJob_RunsInASpanThatContinuesTheEnqueuersTrace()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        using var telemetry = new TelemetryCapture();
        var recorder = new Recorder();
        var queue = UniqueQueue();

        JobId id;
        string requestSpan;
        using (var request = telemetry.StartRequest())
        {
            requestSpan = request.SpanId.ToHexString();
            id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1), new EnqueueOptions { Queue = queue })))[0];
        }

        await using var worker = await StartWorkerAsync(schema, recorder, queue);
        var process = await telemetry.WaitForSpanAsync(s => s.Kind == ActivityKind.Consumer && Tag(s, "messaging.message.id") == id.Value.ToString());

        var enqueue = Assert.Single(telemetry.Spans, static s => s.Kind == ActivityKind.Producer);
        Assert.Equal("send " + queue, enqueue.DisplayName);
        Assert.Equal(requestSpan, enqueue.ParentSpanId.ToHexString());
        Assert.Equal("queues", Tag(enqueue, "messaging.system"));
        Assert.Equal("send", Tag(enqueue, "messaging.operation.type"));
        Assert.Equal(queue, Tag(enqueue, "messaging.destination.name"));
        Assert.Equal("it.count", Tag(enqueue, "queues.job.name"));
        Assert.Equal(id.Value.ToString(), Tag(enqueue, "messaging.message.id"));
        Assert.Equal($"00-{enqueue.TraceId}-{enqueue.SpanId}-01", await schema.ScalarAsync<string>("SELECT trace_context FROM {jobs} WHERE id = $1", id.Value));

        Assert.Equal("process " + queue, process.DisplayName);
        Assert.Equal(enqueue.TraceId, process.TraceId);
        Assert.Equal(enqueue.SpanId, process.ParentSpanId);
        Assert.Equal(enqueue.SpanId, Assert.Single(process.Links).Context.SpanId);
        Assert.Equal("process", Tag(process, "messaging.operation.type"));
        Assert.Equal(queue, Tag(process, "messaging.destination.name"));
        Assert.Equal("it.count", Tag(process, "queues.job.name"));
        Assert.Equal(1, process.GetTagItem("queues.job.attempt"));
        Assert.Equal("completed", Tag(process, "queues.job.outcome"));
        Assert.Equal(ActivityStatusCode.Unset, process.Status);
    }

    [Fact]
    public async Task EnqueueWithNoCurrentActivity_StoresNoTraceContext()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        Assert.Null(Activity.Current);
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1))))[0];

        Assert.True(await schema.ScalarAsync<bool>("SELECT trace_context IS NULL FROM {jobs} WHERE id = $1", id.Value));
    }

    [Fact]
    public async Task EnqueueInsideAnotherLibrarysActivity_StoresThatContext_WhenNobodyListensToQueues()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        using var caller = new Activity("caller").SetIdFormat(ActivityIdFormat.W3C).Start();
        caller.TraceStateString = "vendor=value";
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1))))[0];

        // Nothing samples this trace's Queues spans, so the enqueue span is not created and the caller's context is stored.
        Assert.Equal(caller.Id + "\nvendor=value", await schema.ScalarAsync<string>("SELECT trace_context FROM {jobs} WHERE id = $1", id.Value));
    }

    [Fact]
    public async Task BulkEnqueue_IsOneSpan_AndEveryJobCarriesItsContext()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        using var telemetry = new TelemetryCapture();
        var queue = UniqueQueue();
        using (telemetry.StartRequest())
        {
            await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
            await using var transaction = await connection.BeginTransactionAsync(Ct);
            Assert.Equal(3, await schema.Jobs.EnqueueItCountManyAsync(transaction, [new(1), new(2), new(3)], new EnqueueOptions { Queue = queue }, Ct));
            await transaction.CommitAsync(Ct);
        }

        var enqueue = Assert.Single(telemetry.Spans, static s => s.Kind == ActivityKind.Producer);
        Assert.Equal(3, enqueue.GetTagItem("messaging.batch.message_count"));
        Assert.Equal(3L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE trace_context = $1", $"00-{enqueue.TraceId}-{enqueue.SpanId}-01"));

        await using var worker = await StartWorkerAsync(schema, new Recorder(), queue);
        await telemetry.WaitForSpanAsync(s => s.Kind == ActivityKind.Consumer, count: 3);
        Assert.All(telemetry.Spans.Where(static s => s.Kind == ActivityKind.Consumer), s => Assert.Equal(enqueue.SpanId, s.ParentSpanId));
    }

    [Fact]
    public async Task FailingThenSucceedingJob_RecordsEachAttempt_ErrorsAndRetryMetrics()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        using var telemetry = new TelemetryCapture();
        var queue = UniqueQueue();
        telemetry.ListenToQueue(queue);
        using (telemetry.StartRequest())
        {
            await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItFlakyAsync(tx, new FlakyPayload(2), new EnqueueOptions { Queue = queue }));
        }

        await using var worker = await StartWorkerAsync(schema, new Recorder(), queue);
        await telemetry.WaitForSpanAsync(s => s.Kind == ActivityKind.Consumer && Tag(s, "queues.job.outcome") == "completed");
        await telemetry.WaitForMeasurementAsync("queues.job.completed", 1);

        var attempts = telemetry.Spans.Where(static s => s.Kind == ActivityKind.Consumer).OrderBy(static s => (int)s.GetTagItem("queues.job.attempt")!).ToList();
        Assert.Equal([1, 2, 3], attempts.Select(static s => (int)s.GetTagItem("queues.job.attempt")!));
        foreach (var failed in attempts.Take(2))
        {
            Assert.Equal(ActivityStatusCode.Error, failed.Status);
            Assert.Equal("failed", Tag(failed, "queues.job.outcome"));
            Assert.Equal("exception", Tag(failed, "error.type"));
            var exception = Assert.Single(failed.Events, static e => e.Name == "exception");
            Assert.Equal(typeof(InvalidOperationException).FullName, exception.Tags.Single(static t => t.Key == "exception.type").Value);
        }

        Assert.Equal(ActivityStatusCode.Unset, attempts[2].Status);
        Assert.Equal(1, telemetry.Sum("queues.job.enqueued"));
        Assert.Equal(3, telemetry.Sum("queues.job.started"));
        Assert.Equal(2, telemetry.Sum("queues.job.failed", ("error.type", "exception")));
        Assert.Equal(2, telemetry.Sum("queues.job.retried"));
        Assert.Equal(1, telemetry.Sum("queues.job.completed"));
        Assert.Equal(0, telemetry.Sum("queues.job.discarded"));
        Assert.Equal(3, telemetry.Count("queues.job.duration"));
        Assert.Equal(1, telemetry.Count("queues.job.duration", ("queues.job.outcome", "completed")));
        Assert.Equal(3, telemetry.Count("queues.job.wait.duration"));
        Assert.All(telemetry.Values("queues.job.wait.duration"), static v => Assert.InRange(v, 0, 60));
    }

    [Fact]
    public async Task JobOutOfAttempts_IsCountedDiscarded_ByErrorType()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        using var telemetry = new TelemetryCapture();
        var queue = UniqueQueue();
        telemetry.ListenToQueue(queue);
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItAlwaysFailsAsync(tx, new EnqueueOptions { Queue = queue })))[0];

        await using var worker = await StartWorkerAsync(schema, new Recorder(), queue);
        await schema.WaitForStateAsync(id, JobState.Discarded);
        await telemetry.WaitForMeasurementAsync("queues.job.discarded", 1);

        Assert.Equal(2, telemetry.Sum("queues.job.failed", ("error.type", "exception")));
        Assert.Equal(1, telemetry.Sum("queues.job.retried"));
        Assert.Equal(1, telemetry.Sum("queues.job.discarded", ("error.type", "exception")));
        Assert.Equal(0, telemetry.Sum("queues.job.completed"));
    }

    [Fact]
    public async Task JobTheHandlerDiscards_IsCountedDiscarded_AndItsSpanSaysWhy()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        using var telemetry = new TelemetryCapture();
        var queue = UniqueQueue();
        telemetry.ListenToQueue(queue);
        using (telemetry.StartRequest())
        {
            await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItDiscardingAsync(tx, new EnqueueOptions { Queue = queue }));
        }

        await using var worker = await StartWorkerAsync(schema, new Recorder(), queue);
        var span = await telemetry.WaitForSpanAsync(static s => s.Kind == ActivityKind.Consumer);
        await telemetry.WaitForMeasurementAsync("queues.job.discarded", 1);

        Assert.Equal("discarded", Tag(span, "queues.job.outcome"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("the account does not exist", span.StatusDescription);
        Assert.Equal(1, telemetry.Sum("queues.job.discarded", ("error.type", ErrorKinds.Discarded)));
        Assert.Equal(0, telemetry.Sum("queues.job.failed"));
    }

    [Fact]
    public async Task RescuedJob_IsCounted_AndItsNextAttemptContinuesTheStoredTrace()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        using var telemetry = new TelemetryCapture();
        var queue = UniqueQueue();
        using var request = telemetry.StartRequest();
        var traceparent = request.Id!;
        request.Stop();

        // As a killed worker leaves it: running, last heartbeat long ago, with the trace context of its enqueue.
        var id = await schema.ScalarAsync<long>("""
            INSERT INTO {jobs} (name, queue, payload, state, attempt, max_attempts, attempted_at, heartbeat_at, attempted_by, trace_context)
            VALUES ('it.count', $1, '{"sequence": 5}', 'running', 1, 3, now() - interval '1 hour', now() - interval '1 hour', 'dead-worker', $2)
            RETURNING id
            """, queue, traceparent);

        await using var worker = await StartWorkerAsync(schema, new Recorder(), queue, static o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.RescueAfter = TimeSpan.FromMilliseconds(700);
        });
        var span = await telemetry.WaitForSpanAsync(s => s.Kind == ActivityKind.Consumer && Tag(s, "messaging.message.id") == id.ToString());

        Assert.Equal(request.TraceId, span.TraceId);
        Assert.Equal(request.SpanId, span.ParentSpanId);
        Assert.Equal(2, span.GetTagItem("queues.job.attempt"));

        // The rescue counter has no queue attribute (the rescue statement returns ids only); other tests may add to it.
        Assert.True(telemetry.Sum("queues.job.rescued") >= 1);
    }

    [Fact]
    public async Task QueueGauges_ReportTheLeadersCountsAndOldestAge()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        using var telemetry = new TelemetryCapture();
        var idle = UniqueQueue();
        telemetry.ListenToQueue(idle);

        // A queue this worker does not serve: its jobs stay available, due since a minute ago.
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1),
            new EnqueueOptions { Queue = idle, RunAt = DateTimeOffset.UtcNow.AddMinutes(-1) }), 3);
        await using var worker = await StartWorkerAsync(schema, new Recorder(), UniqueQueue());

        await Eventually.TrueAsync(() =>
        {
            telemetry.Observe();
            return Task.FromResult(telemetry.Last("queues.job.count", ("queues.job.state", "available"), ("queues.schema", schema.Name)) == 3);
        }, what: () => "the available-jobs gauge of the idle queue to read 3");
        Assert.Equal(0, telemetry.Last("queues.job.count", ("queues.job.state", "running"), ("queues.schema", schema.Name)));
        Assert.InRange(telemetry.Last("queues.job.available.oldest_age", ("queues.schema", schema.Name))!.Value, 55, 3600);
    }

    [Fact]
    public async Task QueueGauges_ReportZero_ForEveryConfiguredAndRegisteredQueue_EvenWithNoJobs()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        using var telemetry = new TelemetryCapture();
        var configured = UniqueQueue();
        telemetry.ListenToQueue(configured);
        telemetry.ListenToQueue("default"); // the queue of this project's registered jobs

        await using var worker = await StartWorkerAsync(schema, new Recorder(), configured);

        foreach (var queue in new[] { configured, "default" })
        {
            await Eventually.TrueAsync(() =>
            {
                telemetry.Observe();
                return Task.FromResult(telemetry.Last("queues.job.count", ("messaging.destination.name", queue), ("queues.schema", schema.Name)) is not null);
            }, what: () => $"the job-count gauge of queue {queue}, which never had a job");
            foreach (var state in new[] { "scheduled", "available", "running", "retryable" })
            {
                Assert.Equal(0, telemetry.Last("queues.job.count", ("messaging.destination.name", queue), ("queues.job.state", state), ("queues.schema", schema.Name)));
            }

            Assert.Equal(0, telemetry.Last("queues.job.available.oldest_age", ("messaging.destination.name", queue), ("queues.schema", schema.Name)));
        }
    }

    private static string UniqueQueue() => "q" + Guid.NewGuid().ToString("N")[..12];

    private static string? Tag(Activity activity, string name) => activity.GetTagItem(name)?.ToString();

    private static Task<TestWorker> StartWorkerAsync(TestSchema schema, Recorder recorder, string queue, Action<QueuesOptions>? configure = null)
        => TestWorker.StartAsync(schema, recorder, options =>
        {
            options.Queues[queue] = 2;
            configure?.Invoke(options);
        });
}

/// <summary>
/// Listens to the "Queues" source and meter, keeping the spans of traces started by <see cref="StartRequest"/> and
/// the measurements tagged with a queue given to <see cref="ListenToQueue"/> (or, for the gauges, any).
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    private readonly ConcurrentDictionary<ActivityTraceId, bool> _traces = new();
    private readonly ConcurrentDictionary<string, bool> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters;

    public TelemetryCapture()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == QueuesInstrumentation.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options)
                => _traces.ContainsKey(options.Parent.TraceId) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                if (_traces.ContainsKey(activity.TraceId))
                {
                    _spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_activities);

        _meters = new MeterListener
        {
            InstrumentPublished = static (instrument, listener) =>
            {
                if (instrument.Meter.Name == QueuesInstrumentation.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.Start();
    }

    public IReadOnlyCollection<Activity> Spans => _spans;

    /// <summary>A request-like root activity whose trace this capture samples.</summary>
    public Activity StartRequest()
    {
        var request = new Activity("request").SetIdFormat(ActivityIdFormat.W3C);
        request.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        request.Start();
        _traces[request.TraceId] = true;
        return request;
    }

    public void ListenToQueue(string queue) => _queues[queue] = true;

    /// <summary>Collects the observable instruments once.</summary>
    public void Observe() => _meters.RecordObservableInstruments();

    public async Task<Activity> WaitForSpanAsync(Func<Activity, bool> match, int count = 1)
    {
        await Eventually.TrueAsync(() => Task.FromResult(_spans.Count(match) >= count), what: () => $"{count} matching spans; saw {_spans.Count}");
        return _spans.First(match);
    }

    public Task WaitForMeasurementAsync(string instrument, double sum)
        => Eventually.TrueAsync(() => Task.FromResult(Sum(instrument) >= sum), what: () => $"{instrument} to reach {sum}");

    public double Sum(string instrument, params (string Key, string Value)[] tags) => Matching(instrument, tags).Sum(static m => m.Value);

    public int Count(string instrument, params (string Key, string Value)[] tags) => Matching(instrument, tags).Count();

    public IEnumerable<double> Values(string instrument) => Matching(instrument, []).Select(static m => m.Value);

    public double? Last(string instrument, params (string Key, string Value)[] tags)
        => Matching(instrument, tags).Select(static m => (double?)m.Value).LastOrDefault();

    private IEnumerable<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> Matching(string instrument, (string Key, string Value)[] tags)
        => _measurements.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.Any(k => k.Key == t.Key && k.Value?.ToString() == t.Value)));

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = tags.ToArray();
        var queue = copy.FirstOrDefault(static t => t.Key == "messaging.destination.name").Value as string;
        if (instrument.Name == "queues.job.rescued" || (queue is not null && _queues.ContainsKey(queue)))
        {
            _measurements.Enqueue((instrument.Name, value, copy));
        }
    }

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }
}
