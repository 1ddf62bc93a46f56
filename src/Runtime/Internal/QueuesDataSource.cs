using Microsoft.Extensions.DependencyInjection;
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

        var registered = services.GetService<NpgsqlDataSource>()
            ?? throw new InvalidOperationException(
                "Queues has no database: set QueuesOptions.ConnectionString in AddQueues(o => ...) or register an NpgsqlDataSource.");
        return new QueuesDataSource(registered, owned: false);
    }

    public ValueTask DisposeAsync() => _owned ? DataSource.DisposeAsync() : ValueTask.CompletedTask;
}
