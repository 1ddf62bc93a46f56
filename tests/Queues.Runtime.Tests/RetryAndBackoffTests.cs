using Microsoft.Extensions.Logging.Abstractions;
using Queues.Internal;

namespace Queues.Runtime.Tests;

public sealed class RetryAndBackoffTests
{
    [Fact]
    public void Backoff_DoublesFrom200MsAndStopsAt5Seconds()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(200), Backoff.Delay(1));
        Assert.Equal(TimeSpan.FromMilliseconds(400), Backoff.Delay(2));
        Assert.Equal(TimeSpan.FromSeconds(5), Backoff.Delay(50));
    }

    [Fact]
    public void Exponential_GrowsAsTheFourthPowerWithAtMostTenPercentJitter_CappedAtOneDay()
    {
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var delay = RetryPolicy.Exponential(attempt).TotalSeconds;
            var expected = Math.Pow(attempt, 4);
            Assert.InRange(delay, expected, expected * 1.1);
        }

        Assert.Equal(RetryPolicy.MaxDelay, RetryPolicy.Exponential(1_000));
    }

    [Fact]
    public void RetryDelays_UseTheJobsPolicy_ElseTheWorkers_AndSurviveOneThatThrows()
    {
        var registry = new JobRegistry();
        registry.Add(new JobDefinition("own") { RetryDelay = static a => TimeSpan.FromSeconds(a) }, static (_, _, _, _) => ValueTask.CompletedTask);
        registry.Add(new JobDefinition("broken") { RetryDelay = static _ => throw new InvalidOperationException("bug") }, static (_, _, _, _) => ValueTask.CompletedTask);
        registry.Add(new JobDefinition("negative") { RetryDelay = static _ => TimeSpan.FromSeconds(-5) }, static (_, _, _, _) => ValueTask.CompletedTask);
        var delays = new RetryDelays(registry, static _ => TimeSpan.FromMinutes(7), NullLogger.Instance);

        Assert.Equal(TimeSpan.FromSeconds(3), delays.For("own", 3));
        Assert.Equal(TimeSpan.FromMinutes(7), delays.For("unregistered", 3));
        Assert.InRange(delays.For("broken", 2).TotalSeconds, 16, 17.6);
        Assert.Equal(TimeSpan.Zero, delays.For("negative", 1));
    }
}
