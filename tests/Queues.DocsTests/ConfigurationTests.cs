using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        var options = Bind(new Dictionary<string, string?>
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
        });

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
    }

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
}
