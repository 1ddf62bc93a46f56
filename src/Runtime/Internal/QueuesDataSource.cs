using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Queues.Internal;

/// <summary>
/// The data source Queues uses: built from <see cref="QueuesOptions.ConnectionString"/> (and owned, so disposed with the
/// container), or the application's registered <see cref="NpgsqlDataSource"/>.
/// </summary>
internal sealed class QueuesDataSource : IAsyncDisposable
{
    private readonly bool _owned;

    private QueuesDataSource(NpgsqlDataSource dataSource, bool owned)
    {
        DataSource = dataSource;
        _owned = owned;
    }

    public NpgsqlDataSource DataSource { get; }

    public static QueuesDataSource Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<QueuesOptions>>().Value;
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return new QueuesDataSource(NpgsqlDataSource.Create(options.ConnectionString), owned: true);
        }

        var registered = services.GetService<NpgsqlDataSource>() ?? throw new InvalidOperationException(NoDatabase(options, services.GetService<IHostEnvironment>()));
        return new QueuesDataSource(registered, owned: false);
    }

    /// <summary>
    /// Why there is no database, naming the configuration key and where configuration was looked for: a missing
    /// appsettings.json (the app started from another working directory) is the usual cause.
    /// </summary>
    internal static string NoDatabase(QueuesOptions options, IHostEnvironment? environment)
    {
        var key = $"{options.SectionPath ?? "Queues"}:{nameof(QueuesOptions.ConnectionString)}";
        var where = "";
        if (environment is not null)
        {
            var root = environment.ContentRootPath;
            var files = new[] { "appsettings.json", $"appsettings.{environment.EnvironmentName}.json" }
                .Select(f => $"{f} {(File.Exists(Path.Combine(root, f)) ? "found" : "not found")}");
            where = $" Configuration was read from content root '{root}' ({string.Join(", ", files)}; the content root is the working directory unless the host sets it).";
        }

        var how = options.SectionPath is null
            ? $"Set QueuesOptions.ConnectionString in AddQueues(o => ...), bind a section with AddQueues(configuration.GetSection(\"Queues\")) that sets {key}, or register an NpgsqlDataSource."
            : $"Set {key} (environment variable {key.Replace(":", "__", StringComparison.Ordinal)}), set QueuesOptions.ConnectionString in code, or register an NpgsqlDataSource.";
        return $"Queues has no database: {key} is not set.{where} {how}";
    }

    public ValueTask DisposeAsync() => _owned ? DataSource.DisposeAsync() : ValueTask.CompletedTask;
}
