using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

public sealed class SetupTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Migrate_AppliesOnceAndIsSafeToRunConcurrently()
    {
        var name = "m_" + Guid.NewGuid().ToString("N")[..12];
        await using var schema = new TestSchema(fixture, name);
        var ct = TestContext.Current.CancellationToken;

        var applied = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TestMode.CreateClient(fixture.DataSource, name).MigrateAsync(ct)));

        Assert.Equal([0, 0, 0, Internal.Migrations.LatestVersion], applied.Order());
        Assert.Equal(0, await schema.Client.MigrateAsync(ct));
        Assert.Equal(Internal.Migrations.LatestVersion, await schema.ScalarAsync<int>($"SELECT max(version) FROM \"{name}\".schema_migrations"));
        Assert.Equal("jobs_claim_idx", await schema.ScalarAsync<string>(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 AND indexname = 'jobs_claim_idx'", name));
    }

    [Fact]
    public async Task JobsTable_RejectsAnUnknownState()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            schema.ScalarAsync<long>("INSERT INTO {jobs} (name, state) VALUES ('x', 'finished') RETURNING id"));
        Assert.Equal("23514", error.SqlState);
    }

    [Fact]
    public async Task WorkerOnAnUnmigratedSchema_RefusesToStartAndSaysHowToFixIt()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddQueues(o =>
        {
            TestMode.Apply(o);
            o.ConnectionString = fixture.ConnectionString;
            o.Schema = "never_migrated_" + Guid.NewGuid().ToString("N")[..8];
        }).AddJobs();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("is at migration 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("MigrateAsync", error.Message, StringComparison.Ordinal);
        Assert.Contains("MigrateOnStart", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateOnStart_CreatesTheSchemaAndRunsJobs()
    {
        var name = "mos_" + Guid.NewGuid().ToString("N")[..12];
        await using var schema = new TestSchema(fixture, name);
        var recorder = new Recorder();
        await using var worker = await TestWorker.StartAsync(schema, recorder, static o => o.MigrateOnStart = true);

        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1))))[0];
        await schema.WaitForStateAsync(id, JobState.Completed);
    }

    [Theory]
    [InlineData("Bad-Name", "QueuesOptions.Schema 'Bad-Name' is not a valid schema name")]
    [InlineData("", "QueuesOptions.Schema '' is not a valid schema name")]
    [InlineData("1abc", "QueuesOptions.Schema '1abc' is not a valid schema name")]
    public void InvalidSchemaOption_FailsWithAMessageNamingTheOption(string schema, string expected)
    {
        var options = new QueuesOptions { Schema = schema };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidConcurrencyAndPollInterval_FailWithMessagesNamingTheOption()
    {
        var concurrency = new QueuesOptions();
        concurrency.Queues["email"] = 0;
        Assert.Contains("QueuesOptions.Queues[\"email\"] must be at least 1", Assert.ThrowsAny<ArgumentException>(concurrency.Validate).Message, StringComparison.Ordinal);

        var poll = new QueuesOptions { PollInterval = TimeSpan.Zero };
        Assert.Contains("QueuesOptions.PollInterval must be positive", Assert.ThrowsAny<ArgumentException>(poll.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidJobDefinition_FailsWithAMessageNamingTheValue()
    {
        Assert.Contains("maxAttempts must be between 1 and 32766", Assert.ThrowsAny<ArgumentException>(() => new JobDefinition("x", maxAttempts: 0)).Message, StringComparison.Ordinal);
        Assert.Contains("not a valid job name", Assert.Throws<ArgumentException>(() => new JobDefinition(" ")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetryPolicyExponential_GrowsWithTheAttemptAndStaysWithinItsJitterAndCap()
    {
        for (var attempt = 1; attempt <= 6; attempt++)
        {
            var delay = RetryPolicy.Exponential(attempt).TotalSeconds;
            var baseline = Math.Pow(attempt, 4);
            Assert.InRange(delay, baseline, baseline * 1.1);
        }

        Assert.Equal(RetryPolicy.MaxDelay, RetryPolicy.Exponential(1000));
    }
}
