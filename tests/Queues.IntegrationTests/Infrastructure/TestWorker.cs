using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Queues.IntegrationTests.Infrastructure;

/// <summary>A worker host on one test schema: the generated AddJobs(), a shared <see cref="Recorder"/> and captured logs.</summary>
public sealed class TestWorker : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private TestWorker(IHost host, CapturedLogs logs)
    {
        _host = host;
        Logs = logs;
    }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => _host.Services;

    public static async Task<TestWorker> StartAsync(TestSchema schema, Recorder recorder, Action<QueuesOptions>? configure = null, Action<QueuesBuilder>? jobs = null)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var logs = new CapturedLogs();
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(recorder);
        var queues = builder.Services
            .AddQueues(options =>
            {
                TestMode.Apply(options);
                options.ConnectionString = schema.Fixture.ConnectionString;
                options.Schema = schema.Name;
                options.PollInterval = TimeSpan.FromMilliseconds(50);
                options.RetryDelay = static _ => TimeSpan.Zero;
                configure?.Invoke(options);
            })
            .AddJobs();
        jobs?.Invoke(queues);
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new TestWorker(host, logs);
    }

    /// <summary>Stops the worker: no more claims, running jobs finish. Everything it ran has been recorded afterwards.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _host.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}

public sealed record LogEntry(LogLevel Level, string Category, EventId EventId, string Message, Exception? Exception);

public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner._entries.Enqueue(new LogEntry(logLevel, category, eventId, formatter(state, exception), exception));
    }
}
