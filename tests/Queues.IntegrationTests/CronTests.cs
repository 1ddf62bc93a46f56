using System.Text;
using Queues.Internal;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

public sealed class CronTests(PostgresFixture fixture)
{
    private static DateTime Utc(int year, int month, int day, int hour, int minute) => new(year, month, day, hour, minute, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData("*/15 * * * *", "2026-11-24T10:07", "2026-11-24T10:15")]
    [InlineData("*/15 * * * *", "2026-11-24T10:45", "2026-11-24T11:00")]
    [InlineData("0 9 * * 1-5", "2026-11-27T10:00", "2026-11-30T09:00")] // Friday after nine → Monday.
    [InlineData("30 4 * 12 *", "2026-12-31T05:00", "2027-12-01T04:30")]
    [InlineData("0 0 29 2 *", "2026-03-01T00:00", "2028-02-29T00:00")]
    [InlineData("0 12 13 * 5", "2026-11-24T00:00", "2026-11-27T12:00")] // Both day fields: the 13th or a Friday.
    [InlineData("5/20 8-10 * * *", "2026-11-24T08:45", "2026-11-24T09:05")]
    [InlineData("0,30 * * * *", "2026-11-24T10:00", "2026-11-24T10:30")]
    public void Next_FindsTheFirstMatchingMinuteAfterTheGivenTime(string expression, string after, string expected)
    {
        var next = CronSchedule.Parse(expression).Next(DateTime.SpecifyKind(DateTime.Parse(after, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc));
        Assert.Equal(DateTime.SpecifyKind(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc), next);
    }

    [Fact]
    public void Next_IsNullForAScheduleThatNeverMatches() => Assert.Null(CronSchedule.Parse("0 0 31 2 *").Next(Utc(2026, 1, 1, 0, 0)));

    [Theory]
    [InlineData("* * * *", "needs five")]
    [InlineData("60 * * * *", "the minute field has '60'")]
    [InlineData("* * * * 7", "the day of week field has '7'")]
    [InlineData("*/0 * * * *", "the minute field has '0'")]
    public void InvalidCron_IsRejectedWhenTheJobIsDefined(string expression, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new JobDefinition("rt.report") { Cron = expression });
        Assert.Contains("job 'rt.report'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeriodicJob_IsEnqueuedOncePerScheduleTimeAcrossNodes()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var job = new JobDefinition("rt.everyMinute") { Cron = "* * * * *" };
        var runs = 0;
        void Register(QueuesBuilder b) => b.AddJob(job, (_, payload, _, _) =>
        {
            Assert.Equal("{}", Encoding.UTF8.GetString(payload.Span));
            Interlocked.Increment(ref runs);
            return ValueTask.CompletedTask;
        });

        await using var first = await TestWorker.StartAsync(schema, recorder, static o => o.WorkerName = "first", Register);
        await using var second = await TestWorker.StartAsync(schema, recorder, static o => o.WorkerName = "second", Register);
        await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE name = 'rt.everyMinute' AND state = 'completed'") >= 1,
            TimeSpan.FromSeconds(90));

        Assert.Equal(
            await schema.ScalarAsync<long>($"SELECT count(*) FROM \"{schema.Name}\".cron_runs WHERE name = 'rt.everyMinute'"),
            await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE name = 'rt.everyMinute'"));
        Assert.Equal(0L, await schema.ScalarAsync<long>(
            $"SELECT count(*) FROM \"{schema.Name}\".cron_runs c LEFT JOIN {{jobs}} j ON j.id = c.job_id WHERE j.id IS NULL OR date_trunc('minute', c.scheduled_at) <> c.scheduled_at"));

        // Every enqueued tick ran exactly once across both nodes.
        await first.StopAsync();
        await second.StopAsync();
        Assert.Equal(
            await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE name = 'rt.everyMinute' AND state = 'completed' AND attempt = 1"),
            Volatile.Read(ref runs));
    }
}
