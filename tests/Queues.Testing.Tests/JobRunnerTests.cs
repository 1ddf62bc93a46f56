using Microsoft.Extensions.DependencyInjection;

namespace Queues.Testing.Tests;

public sealed class JobRunnerTests(Server server) : IAsyncLifetime
{
    private QueuesTestSchema _schema = null!;
    private ServiceProvider _services = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Jobs Jobs => _services.GetRequiredService<Jobs>();

    private Greeter Greeter => _services.GetRequiredService<Greeter>();

    public async ValueTask InitializeAsync()
    {
        _schema = await QueuesTestSchema.CreateAsync(server.ConnectionString, Ct);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<Greeter>();
        services.AddQueues(o =>
        {
            _schema.Configure(o);
            o.RetryDelay = static _ => TimeSpan.FromMinutes(1);
        }).AddJobs();
        _services = services.BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task Drain_runs_every_available_job_through_the_generated_handlers_and_reports_each_outcome()
    {
        var greet = await Jobs.EnqueueGreetAsync(new Greeting("Ada", 1), cancellationToken: Ct);
        var fail = await Jobs.EnqueueFailAsync(new Greeting("Bob", 1), cancellationToken: Ct);
        var later = await Jobs.EnqueueLaterAsync(cancellationToken: Ct);

        var runs = await new JobRunner(_services).DrainAsync(cancellationToken: Ct);

        Assert.Equal(["Ada"], Greeter.Greeted);
        Assert.Equal(3, runs.Count);
        var byId = runs.ToDictionary(static r => r.Id);
        Assert.Equal(JobState.Completed, byId[greet.Id].AssertCompleted().State);
        Assert.Equal(("mail", (string?)null), (byId[greet.Id].Queue, byId[greet.Id].Error));
        Assert.Equal(JobState.Retryable, byId[fail.Id].State);
        Assert.Equal("cannot greet Bob", byId[fail.Id].Error);
        Assert.IsType<InvalidOperationException>(byId[fail.Id].Exception);
        Assert.Equal(JobState.Scheduled, byId[later.Id].State);
    }

    [Fact]
    public async Task Drain_runs_jobs_the_handlers_enqueue_and_stops_when_none_is_available()
    {
        await Jobs.EnqueueChainAsync(new Chain(3), cancellationToken: Ct);

        var runs = await new JobRunner(_services).DrainAsync(cancellationToken: Ct);

        Assert.Equal(4, runs.Count);
        Assert.All(runs, static r => r.AssertCompleted());
        Assert.Empty(await new JobRunner(_services).DrainAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Drain_and_Run_leave_a_paused_queue_alone_as_a_worker_would()
    {
        var greet = await Jobs.EnqueueGreetAsync(new Greeting("Ada", 1), cancellationToken: Ct);
        await Jobs.EnqueueChainAsync(new Chain(0), cancellationToken: Ct);
        var admin = new QueuesAdmin(_services.GetRequiredService<QueuesClient>());
        await admin.PauseQueueAsync("mail", Ct);

        var runs = await new JobRunner(_services).DrainAsync(cancellationToken: Ct);

        Assert.Equal("chain", Assert.Single(runs).Name);
        var refused = await Assert.ThrowsAsync<JobAssertionException>(() => new JobRunner(_services).RunAsync(greet.Id, Ct));
        Assert.Contains("queue is paused", refused.Message, StringComparison.Ordinal);

        await admin.ResumeQueueAsync("mail", Ct);
        Assert.Equal("greet", Assert.Single(await new JobRunner(_services).DrainAsync(cancellationToken: Ct)).Name);
    }

    [Fact]
    public async Task Drain_of_one_queue_leaves_the_others()
    {
        await Jobs.EnqueueGreetAsync(new Greeting("Ada", 1), cancellationToken: Ct);
        await Jobs.EnqueueChainAsync(new Chain(0), cancellationToken: Ct);

        var runs = await new JobRunner(_services).DrainAsync("mail", Ct);

        Assert.Equal("greet", Assert.Single(runs).Name);
        Assert.Equal(JobState.Available, Assert.Single(await _schema.Jobs.ListAsync("chain", Ct)).State);
    }

    [Fact]
    public async Task Run_runs_one_job_even_when_it_is_not_due_and_records_failures_as_the_worker_would()
    {
        var fail = await Jobs.EnqueueFailAsync(new Greeting("Bob", 1), new EnqueueOptions { Delay = TimeSpan.FromDays(1) }, Ct);
        var runner = new JobRunner(_services);

        var first = await runner.RunAsync(fail.Id, Ct);
        var second = await runner.RunAsync(fail.Id, Ct);

        Assert.Equal((1, JobState.Retryable), (first.Attempt, first.State));
        Assert.Equal((2, JobState.Discarded), (second.Attempt, second.State));
        var error = await Assert.ThrowsAsync<JobAssertionException>(() => runner.RunAsync(fail.Id, Ct));
        Assert.Contains("is discarded", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot greet Bob", Assert.Throws<JobAssertionException>(() => second.AssertCompleted()).Message, StringComparison.Ordinal);
    }
}
