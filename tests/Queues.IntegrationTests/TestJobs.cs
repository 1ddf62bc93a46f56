using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

public enum Color
{
    Red,
    Green,
    Blue,
}

public sealed record Inner(string Name, double Ratio);

/// <summary>A payload with one member of most supported kinds, to compare field by field after the trip through PostgreSQL.</summary>
public sealed class EchoPayload
{
    public required string Text { get; init; }
    public required int Number { get; init; }
    public required long Big { get; init; }
    public required decimal Amount { get; init; }
    public required bool Flag { get; init; }
    public required Guid Id { get; init; }
    public required DateTimeOffset At { get; init; }
    public required DateOnly Day { get; init; }
    public required TimeSpan Duration { get; init; }
    public required Color Color { get; init; }
    public int? Maybe { get; init; }
    public string? Note { get; init; }
    public required List<string> Tags { get; init; }
    public required Dictionary<string, int> Counts { get; init; }
    public required Inner Inner { get; init; }
    public Inner[] More { get; init; } = [];
}

public sealed record FlakyPayload(int FailTimes);

public sealed record CountPayload(int Sequence);

public sealed record BlockingPayload(string Key);

public sealed record OrderPayload(int Priority);

/// <summary>Text a handler throws, cancels or discards with: what users' messages contain (NUL, lone surrogates, megabytes).</summary>
public sealed record HostilePayload(string Text, string Mode);

/// <summary>The test handlers: an instance handler class with its dependency injected per job by generated code.</summary>
public sealed class TestJobs(Recorder recorder)
{
    [Job("it.echo")]
    public Task EchoAsync(EchoPayload payload, JobContext context, CancellationToken cancellationToken)
    {
        recorder.Record(context, payload);
        return Task.CompletedTask;
    }

    [Job("it.flaky", MaxAttempts = 5)]
    public ValueTask FlakyAsync(JobContext context, FlakyPayload payload)
    {
        recorder.Record(context, payload);
        if (context.Attempt <= payload.FailTimes)
        {
            throw new InvalidOperationException($"flaky failure on attempt {context.Attempt}");
        }

        return ValueTask.CompletedTask;
    }

    [Job("it.alwaysFails", MaxAttempts = 2)]
    public void AlwaysFails(JobContext context)
    {
        recorder.Record(context, null);
        throw new TimeoutException($"the remote end did not answer (attempt {context.Attempt})");
    }

    [Job("it.count")]
    public void Count(CountPayload payload, JobContext context) => recorder.Record(context, payload);

    [Job("it.blocking")]
    public async Task BlockingAsync(BlockingPayload payload, JobContext context, CancellationToken cancellationToken)
    {
        recorder.Record(context, payload);
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    [Job("it.snoozing", MaxAttempts = 2)]
    public void Snoozing(JobContext context)
    {
        recorder.Record(context, null);
        if (recorder.Runs.Count(r => r.JobId == context.Id) < 3)
        {
            context.Snooze(TimeSpan.Zero);
        }
    }

    [Job("it.cancelling")]
    public void Cancelling(JobContext context)
    {
        recorder.Record(context, null);
        context.Cancel("the order was withdrawn");
    }

    [Job("it.discarding", MaxAttempts = 5)]
    public void Discarding(JobContext context)
    {
        recorder.Record(context, null);
        context.Discard("the account does not exist");
    }

    [Job("it.ordered", Queue = "serial")]
    public void Ordered(OrderPayload payload, JobContext context) => recorder.Record(context, payload);

    [Job("it.limited", Queue = "limited")]
    public async Task LimitedAsync(CountPayload payload, JobContext context, CancellationToken cancellationToken)
    {
        using (recorder.Enter("limited"))
        {
            await Task.Delay(2, cancellationToken);
        }

        recorder.Record(context, payload);
    }

    [Job("it.slow", Queue = "slow")]
    public async Task SlowAsync(CountPayload payload, JobContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(100, cancellationToken);
        recorder.Record(context, payload);
    }

    [Job("it.hostile", MaxAttempts = 2)]
    public void Hostile(HostilePayload payload, JobContext context)
    {
        recorder.Record(context, payload);
        switch (payload.Mode)
        {
            case "cancel":
                context.Cancel(payload.Text.Replace("beforeafter", "before\0after \ud800", StringComparison.Ordinal));
                break;
            case "discard":
                context.Discard(payload.Text.Replace("beforeafter", "before\0after \ud800", StringComparison.Ordinal));
                break;
            case "throw-nul":
                throw new InvalidOperationException("the real error: a\0b");
            default:
                // What a message from a native library or a binary protocol looks like: NULs and broken UTF-16.
                throw new InvalidOperationException(payload.Text.Replace("beforeafter", "before\0after \ud800", StringComparison.Ordinal));
        }
    }
}
