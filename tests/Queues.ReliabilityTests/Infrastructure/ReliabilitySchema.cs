using Npgsql;

namespace Queues.ReliabilityTests.Infrastructure;

/// <summary>One test's schema: its jobs, the <c>runs</c> its handlers recorded, and the queries the tests assert on.</summary>
public sealed class ReliabilitySchema(ReliabilityServer server, string name)
{
    public string Name { get; } = name;

    public ReliabilityServer Server { get; } = server;

    public QueuesClient Client { get; } = new(server.DataSource, name);

    /// <summary>The generated enqueue methods of the jobs in ReliabilityJobs.cs.</summary>
    public Jobs Jobs => new(Client);

    /// <summary>Enqueues <paramref name="items"/> as <c>rel.work</c> jobs in one transaction (binary COPY), rolled back unless <paramref name="commit"/>.</summary>
    public async Task<int> EnqueueWorkAsync(IEnumerable<WorkItem> items, bool commit = true)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await Server.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var count = await Jobs.EnqueueRelWorkManyAsync(transaction, items, cancellationToken: ct);
        if (commit)
        {
            await transaction.CommitAsync(ct);
        }
        else
        {
            await transaction.RollbackAsync(ct);
        }

        return count;
    }

    /// <summary>Enqueues through <paramref name="enqueue"/> in one committed transaction.</summary>
    public async Task<JobId> EnqueueAsync(Func<Jobs, NpgsqlTransaction, Task<EnqueueResult>> enqueue)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await Server.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var id = (await enqueue(Jobs, transaction)).Id;
        await transaction.CommitAsync(ct);
        return id;
    }

    /// <summary>Runs <paramref name="sql"/> with <c>{jobs}</c>, <c>{runs}</c>, <c>{effects}</c>, <c>{effect_runs}</c> and <c>{nodes}</c> standing for this schema's tables.</summary>
    public NpgsqlCommand Command(string sql, params object[] parameters)
    {
        var command = Server.DataSource.CreateCommand(sql
            .Replace("{jobs}", $"\"{Name}\".jobs", StringComparison.Ordinal)
            .Replace("{runs}", $"\"{Name}\".runs", StringComparison.Ordinal)
            .Replace("{effects}", $"\"{Name}\".effects", StringComparison.Ordinal)
            .Replace("{effect_runs}", $"\"{Name}\".effect_runs", StringComparison.Ordinal)
            .Replace("{nodes}", $"\"{Name}\".nodes", StringComparison.Ordinal));
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return command;
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = Command(sql, parameters);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Like <see cref="ScalarAsync{T}"/>, but retried while the server is unreachable (restarting, crashed).</summary>
    public async Task<T> ScalarThroughOutagesAsync<T>(string sql, params object[] parameters)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ScalarAsync<T>(sql, parameters);
            }
            catch (NpgsqlException exception) when (exception.IsTransient && attempt < 300)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
    }

    /// <summary>Jobs of <paramref name="jobName"/> not yet completed, cancelled or discarded.</summary>
    public Task<long> CountUnfinishedAsync(string jobName = "rel.work")
        => ScalarThroughOutagesAsync<long>("SELECT count(*) FROM {jobs} WHERE name = $1 AND finalized_at IS NULL", jobName);

    public Task<long> CountInStateAsync(string state, string? jobName = null)
        => ScalarThroughOutagesAsync<long>("SELECT count(*) FROM {jobs} WHERE state = $1 AND ($2::text IS NULL OR name = $2)",
            state, (object?)jobName ?? DBNull.Value);

    /// <summary>The worker holding the maintenance lease, or null (none, or a runtime without the lease table).</summary>
    public async Task<string?> LeaseHolderAsync()
    {
        try
        {
            await using var command = Command($"SELECT holder FROM \"{Name}\".leader WHERE name = 'maintenance' AND expires_at > now()");
            return await command.ExecuteScalarAsync(TestContext.Current.CancellationToken) as string;
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return null;
        }
    }

    /// <summary>Jobs per state, e.g. <c>completed=20000</c>.</summary>
    public async Task<string> DescribeStatesAsync()
    {
        await using var command = Command("SELECT name || ':' || state || '=' || count(*) FROM {jobs} GROUP BY name, state ORDER BY 1");
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var parts = new List<string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            parts.Add(reader.GetString(0));
        }

        return string.Join(", ", parts);
    }
}
