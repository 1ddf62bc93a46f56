using Npgsql;
using Queues.Testing;

namespace Queues.IntegrationTests;

/// <summary>Server settings reach the throwaway server as data, never through a shell.</summary>
public sealed class TemporaryPostgresTests
{
    [Fact]
    public async Task SettingsWithSpacesQuotesAndShellSyntax_AreTakenLiterally()
    {
        var marker = Path.Combine(Path.GetTempPath(), "queues-shell-" + Guid.NewGuid().ToString("N"));
        var hostile = $"$(touch {marker}) `touch {marker}` ; touch {marker} 'quoted' \\ end";
        await using var server = await TemporaryPostgres.StartAsync(new TemporaryPostgresOptions
        {
            Settings = new Dictionary<string, string>
            {
                ["log_line_prefix"] = "%m [%p] %q%u@%d ",
                ["queues.test_value"] = hostile,
            },
        }, TestContext.Current.CancellationToken);

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var prefix = new NpgsqlCommand("SELECT current_setting('log_line_prefix'), current_setting('queues.test_value')", connection);
        await using var reader = await prefix.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal("%m [%p] %q%u@%d ", reader.GetString(0));
        Assert.Equal(hostile, reader.GetString(1));
        Assert.False(File.Exists(marker), "A setting's value ran as a shell command.");
    }

    [Fact]
    public async Task SettingWithAnInvalidName_IsRefused()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => TemporaryPostgres.StartAsync(new TemporaryPostgresOptions
        {
            Settings = new Dictionary<string, string> { ["work_mem = 1MB\nfsync"] = "off" },
        }, TestContext.Current.CancellationToken));
        Assert.Contains("not a PostgreSQL setting name", error.Message, StringComparison.Ordinal);
    }
}
