using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Queues.Testing.Tests;

public sealed class EnqueuedJobsTests(Server server) : IAsyncLifetime
{
    private QueuesTestSchema _schema = null!;
    private ServiceProvider _services = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Jobs Jobs => _services.GetRequiredService<Jobs>();

    public async ValueTask InitializeAsync()
    {
        _schema = await QueuesTestSchema.CreateAsync(server.ConnectionString, Ct);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<Greeter>();
        services.AddQueues(_schema.Configure).AddJobs();
        _services = services.BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task A_job_enqueued_in_a_transaction_is_seen_through_it_before_commit_and_by_everyone_after()
    {
        await using var connection = await _schema.DataSource.OpenConnectionAsync(Ct);
        await using var tx = await connection.BeginTransactionAsync(Ct);
        await Jobs.EnqueueGreetAsync(tx, new Greeting("Ada", 2), cancellationToken: Ct);

        var job = await _schema.Jobs.AssertEnqueuedAsync(tx, "greet", static p => p.GetProperty("name").GetString() == "Ada", Ct);
        await _schema.Jobs.AssertNothingEnqueuedAsync(cancellationToken: Ct);
        await tx.CommitAsync(Ct);

        var committed = await _schema.Jobs.AssertEnqueuedAsync("greet", static p => p.GetProperty("times").GetInt32() == 2, Ct);
        Assert.Equal(job.Id, committed.Id);
        Assert.Equal(("mail", JobState.Available), (committed.Queue, committed.State));
        Assert.Equal(new Greeting("Ada", 2), committed.PayloadAs(TestJson.Default.Greeting));
    }

    [Fact]
    public async Task A_rolled_back_enqueue_leaves_nothing()
    {
        await using (var connection = await _schema.DataSource.OpenConnectionAsync(Ct))
        await using (var tx = await connection.BeginTransactionAsync(Ct))
        {
            await Jobs.EnqueueGreetAsync(tx, new Greeting("Ada", 1), cancellationToken: Ct);
            await tx.RollbackAsync(Ct);
        }

        await _schema.Jobs.AssertNothingEnqueuedAsync(cancellationToken: Ct);
        await _schema.Jobs.AssertNothingEnqueuedAsync("greet", Ct);
    }

    [Fact]
    public async Task A_failed_assertion_says_what_was_found()
    {
        await Jobs.EnqueueGreetAsync(new Greeting("Bob", 1), cancellationToken: Ct);

        var missing = await Assert.ThrowsAsync<JobAssertionException>(
            () => _schema.Jobs.AssertEnqueuedAsync("greet", static p => p.GetProperty("name").GetString() == "Ada", Ct));
        var unexpected = await Assert.ThrowsAsync<JobAssertionException>(() => _schema.Jobs.AssertNothingEnqueuedAsync("greet", Ct));

        Assert.Contains("Expected a job 'greet' with a payload matching the predicate (committed), but found 1 job:", missing.Message, StringComparison.Ordinal);
        Assert.Contains("'greet' queue=mail state=available payload={\"name\":\"Bob\",\"times\":1}", missing.Message, StringComparison.Ordinal);
        Assert.Contains("Expected no job 'greet'", unexpected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_schema_is_unique_migrated_and_dropped_on_dispose()
    {
        await using var other = await QueuesTestSchema.CreateAsync(server.ConnectionString, Ct);
        Assert.NotEqual(_schema.Name, other.Name);
        await other.DisposeAsync();

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_namespace WHERE nspname = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [_schema.Name, other.Name] });
        Assert.Equal(1L, await command.ExecuteScalarAsync(Ct));
    }
}
