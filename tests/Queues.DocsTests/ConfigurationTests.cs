using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Queues.DocsTests;

/// <summary>
/// <c>services.AddQueues(configuration.GetSection("Queues"))</c>: every option docs/configuration.md lists binds, and a bad
/// value fails with a message naming its configuration key (code-set options keep the <c>QueuesOptions.X</c> wording).
/// </summary>
public sealed class ConfigurationTests
{
    [Fact]
    public void Every_bindable_option_binds_from_its_key()
    {
        var options = Bind(EveryKey);

        Assert.Equal("Host=db;Database=app", options.ConnectionString);
        Assert.Equal("jobs", options.Schema);
        Assert.True(options.MigrateOnStart);
        Assert.False(options.ProcessJobs);
        Assert.Equal(new Dictionary<string, int> { ["email"] = 5, ["reports"] = 1 }, options.Queues);
        Assert.False(options.UseNotifications);
        Assert.False(options.PrepareStatements);
        Assert.Equal(TimeSpan.FromSeconds(2), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(20), options.RescueAfter);
        Assert.Equal(TimeSpan.FromHours(2), options.RetainCompletedFor);
        Assert.Equal(TimeSpan.FromDays(7), options.RetainDiscardedFor);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.PollInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), options.ShutdownTimeout);
        Assert.Equal("worker-a", options.WorkerName);
        Assert.Equal(20, options.Prefetch);
        Assert.True(options.FailOnUnknownKeys);
    }

    [Fact]
    public void Every_option_is_a_known_key_in_any_casing()
    {
        var settable = typeof(QueuesOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(static p => p.Name != nameof(QueuesOptions.RetryDelay)).Select(static p => "Queues:" + p.Name);
        Assert.All(settable, key => Assert.Contains(EveryKey.Keys, k => k.StartsWith(key, StringComparison.Ordinal)));

        // FailOnUnknownKeys is on in EveryKey: any key the runtime does not know would fail here.
        Bind(EveryKey.ToDictionary(static e => e.Key.StartsWith("Queues:Queues:", StringComparison.Ordinal) ? e.Key : e.Key.ToUpperInvariant(), static e => e.Value));
    }

    [Fact]
    public void A_mistyped_key_fails_at_start_when_asked_naming_the_key_and_the_likely_option()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(new Dictionary<string, string?>
        {
            ["Queues:ShutdownTimout"] = "00:01:00",
            ["Queues:RetryDelay"] = "00:00:05",
            ["Queues:FailOnUnknownKeys"] = "true",
        }));

        Assert.Contains("Queues:ShutdownTimout is not a Queues option (did you mean Queues:ShutdownTimeout?)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Queues:RetryDelay cannot be configured", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mistyped_key_is_a_warning_at_start_by_default()
    {
        var logs = new Logs();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Queues:ConnectionString"] = "Host=localhost",
            ["Queues:ProcessJobs"] = "false",
            ["Queues:ShutdownTimout"] = "00:01:00",
        });
        builder.Logging.AddProvider(logs);
        builder.Services.AddQueues(builder.Configuration.GetSection("Queues"));
        using var host = builder.Build();

        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);

        var warning = Assert.Single(logs.Entries, static e => e.EventId.Id == QueuesEventId.UnknownConfigurationKey);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal("Queues:ShutdownTimout is not a Queues option (did you mean Queues:ShutdownTimeout?); it is ignored. Set Queues:FailOnUnknownKeys = true to fail at start instead",
            warning.Message);
    }

    [Fact]
    public void A_missing_connection_string_names_the_key_and_the_content_root()
    {
        var root = Directory.CreateTempSubdirectory("queues-config-").FullName;
        try
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = root });
            builder.Services.AddQueues(builder.Configuration.GetSection("Queues"));
            using var host = builder.Build();

            var error = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<QueuesClient>());

            Assert.Contains("Queues:ConnectionString is not set", error.Message, StringComparison.Ordinal);
            Assert.Contains($"content root '{root}' (appsettings.json not found", error.Message, StringComparison.Ordinal);
            Assert.Contains("environment variable Queues__ConnectionString", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static readonly Dictionary<string, string?> EveryKey = new()
    {
        ["Queues:ConnectionString"] = "Host=db;Database=app",
        ["Queues:Schema"] = "jobs",
        ["Queues:MigrateOnStart"] = "true",
        ["Queues:ProcessJobs"] = "false",
        ["Queues:Queues:email"] = "5",
        ["Queues:Queues:reports"] = "1",
        ["Queues:UseNotifications"] = "false",
        ["Queues:PrepareStatements"] = "false",
        ["Queues:HeartbeatInterval"] = "00:00:02",
        ["Queues:RescueAfter"] = "00:00:20",
        ["Queues:RetainCompletedFor"] = "02:00:00",
        ["Queues:RetainDiscardedFor"] = "7.00:00:00",
        ["Queues:PollInterval"] = "00:00:00.500",
        ["Queues:ShutdownTimeout"] = "00:01:00",
        ["Queues:WorkerName"] = "worker-a",
        ["Queues:Prefetch"] = "20",
        ["Queues:FailOnUnknownKeys"] = "true",
    };

    [Fact]
    public void Code_runs_after_binding_and_unset_keys_keep_their_defaults()
    {
        var options = Bind(new Dictionary<string, string?> { ["Queues:Schema"] = "jobs", ["Queues:Queues:email"] = "5" },
            o => o.Queues["email"] = 8);

        Assert.Equal("jobs", options.Schema);
        Assert.Equal(8, options.Queues["email"]);
        Assert.Equal(QueuesOptions.DefaultPollInterval, options.PollInterval);
        Assert.True(options.ProcessJobs);
    }

    [Theory]
    [InlineData("HeartbeatInterval", "00:00:00", "Queues:HeartbeatInterval must be positive")]
    [InlineData("Schema", "Bad-Name", "Queues:Schema 'Bad-Name' is not a valid schema name")]
    [InlineData("WorkerName", " ", "Queues:WorkerName must not be blank")]
    [InlineData("ShutdownTimeout", "-00:00:01", "Queues:ShutdownTimeout must not be negative")]
    [InlineData("Queues:email", "0", "Queues:Queues:email must be at least 1; it was 0")]
    [InlineData("RescueAfter", "00:00:06", "Queues:RescueAfter (00:00:06) must exceed twice QueuesOptions.HeartbeatInterval")]
    public void A_bad_configured_value_fails_at_start_naming_its_key(string key, string value, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(new Dictionary<string, string?> { ["Queues:" + key] = value }));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_value_set_in_code_keeps_the_option_name()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(new Dictionary<string, string?> { ["Queues:Schema"] = "jobs" },
            o => o.PollInterval = TimeSpan.Zero));

        Assert.Contains("QueuesOptions.PollInterval must be positive", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unparsable_value_names_its_key()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Bind(new Dictionary<string, string?> { ["Queues:PollInterval"] = "soon" }));

        Assert.Contains("Queues:PollInterval", error.Message, StringComparison.Ordinal);
    }

    private static QueuesOptions Bind(Dictionary<string, string?> values, Action<QueuesOptions>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddQueues(configuration.GetSection("Queues"), configure);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<QueuesOptions>>().Value;
    }

    private sealed class Logs : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, EventId EventId, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(Logs owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => owner.Entries.Enqueue((logLevel, eventId, formatter(state, exception)));
        }
    }
}
