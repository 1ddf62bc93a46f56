using Npgsql;

namespace Queues.Testing;

/// <summary>
/// A uniquely named, migrated Queues schema for one test, dropped (with every job in it) on dispose. Tests that each
/// use their own schema can run in parallel against one server and never see each other's jobs.
/// </summary>
/// <example>
/// <code>
/// await using var schema = await QueuesTestSchema.CreateAsync(server.ConnectionString, cancellationToken);
/// services.AddQueues(schema.Configure).AddJobs();
/// </code>
/// </example>
public sealed class QueuesTestSchema : IAsyncDisposable
{
    private int _disposed;

    private QueuesTestSchema(NpgsqlDataSource dataSource, string name)
    {
        DataSource = dataSource;
        Name = name;
        ConnectionString = dataSource.ConnectionString;
        Jobs = new EnqueuedJobs(dataSource, name);
    }

    /// <summary>The schema's name: <c>test_</c> and 16 random hex digits.</summary>
    public string Name { get; }

    /// <summary>The connection string the schema was created through.</summary>
    public string ConnectionString { get; }

    /// <summary>A data source on <see cref="ConnectionString"/>, owned by this object.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>Reads and asserts on the jobs in this schema.</summary>
    public EnqueuedJobs Jobs { get; }

    /// <summary>Creates a schema with a unique name and applies every Queues migration to it.</summary>
    /// <param name="connectionString">The server, e.g. <see cref="TemporaryPostgres.ConnectionString"/>; the role must be allowed to create schemas.</param>
    /// <param name="cancellationToken">Cancels the migration.</param>
    /// <returns>The schema, to be disposed at the end of the test.</returns>
    public static async Task<QueuesTestSchema> CreateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var schema = new QueuesTestSchema(NpgsqlDataSource.Create(connectionString), "test_" + Guid.NewGuid().ToString("N")[..16]);
        try
        {
            await new QueuesClient(schema.DataSource, schema.Name).MigrateAsync(cancellationToken).ConfigureAwait(false);
            return schema;
        }
        catch
        {
            await schema.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Points <paramref name="options"/> at this schema: sets <see cref="QueuesOptions.ConnectionString"/> and
    /// <see cref="QueuesOptions.Schema"/>. Pass it as the delegate: <c>services.AddQueues(schema.Configure)</c>.
    /// </summary>
    /// <param name="options">The options to set.</param>
    public void Configure(QueuesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ConnectionString = ConnectionString;
        options.Schema = Name;
    }

    /// <summary>Drops the schema and everything in it, then disposes <see cref="DataSource"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            // The name is ours (test_ + hex), never user input, so quoting it is enough.
            await using var command = DataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE");
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
