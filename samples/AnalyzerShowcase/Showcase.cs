// Each rule fires exactly where a trailing "// QUE01xx" comment says; ShowcaseBuildTests reads those comments and compares them with
// what the compiler reports. Everything else here must stay silent.
using Npgsql;

namespace AnalyzerShowcase;

public sealed class Showcase(Jobs jobs, NpgsqlDataSource dataSource)
{
    /// <summary>The correct shape: one transaction for the write and the job. No diagnostic.</summary>
    public async Task CorrectAsync(string sku)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand("UPDATE products SET price = price WHERE sku = $1", connection, tx))
        {
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sku });
            await update.ExecuteNonQueryAsync();
        }

        await jobs.EnqueueReindexProductAsync(tx, new ReindexProduct(sku));
        await tx.CommitAsync();
    }

    /// <summary>QUE0101: a transaction begun just for the enqueue while the write's transaction is in scope.</summary>
    public async Task FreshTransactionForTheEnqueueAsync(NpgsqlConnection connection, string sku)
    {
        await using var tx = await connection.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand("UPDATE products SET price = price WHERE sku = $1", connection, tx))
        {
            await update.ExecuteNonQueryAsync();
        }

        await using var jobsConnection = await dataSource.OpenConnectionAsync();
        await using var jobsTx = await jobsConnection.BeginTransactionAsync();
        await jobs.EnqueueReindexProductAsync(jobsTx, new ReindexProduct(sku)); // QUE0101
        await jobsTx.CommitAsync();
        await tx.CommitAsync();
    }

    /// <summary>QUE0102: the write runs outside any transaction, so no transaction can make the enqueue atomic with it.</summary>
    public async Task WriteOutsideAnyTransactionAsync(string sku)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var update = new NpgsqlCommand("UPDATE products SET price = price WHERE sku = $1", connection))
        {
            await update.ExecuteNonQueryAsync();
        }

        await using var tx = await connection.BeginTransactionAsync();
        await jobs.EnqueueReindexProductAsync(tx, new ReindexProduct(sku)); // QUE0102
        await tx.CommitAsync();
    }

    /// <summary>QUE0103: the transaction is already committed.</summary>
    public async Task EnqueueAfterCommitAsync(string sku)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await tx.CommitAsync();
        await jobs.EnqueueReindexProductAsync(tx, new ReindexProduct(sku)); // QUE0103
    }

    /// <summary>QUE0104: the task is dropped, so the insert may still run when the transaction commits.</summary>
    public async Task NotAwaitedAsync(string sku)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        _ = jobs.EnqueueReindexProductAsync(tx, new ReindexProduct(sku)); // QUE0104
        await tx.CommitAsync();
    }

    /// <summary>QUE0105: the job's transaction is on one connection, the product update on another.</summary>
    public async Task OtherConnectionAsync(string sku)
    {
        await using var products = await dataSource.OpenConnectionAsync();
        await using var queue = await dataSource.OpenConnectionAsync();
        await using var productsTx = await products.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand("UPDATE products SET price = price WHERE sku = $1", products, productsTx))
        {
            await update.ExecuteNonQueryAsync();
        }

        await using var queueTx = await queue.BeginTransactionAsync();
        await using (var audit = new NpgsqlCommand("INSERT INTO audit (sku) VALUES ($1)", queue, queueTx))
        {
            await audit.ExecuteNonQueryAsync();
        }

        await jobs.EnqueueReindexProductAsync(queueTx, new ReindexProduct(sku)); // QUE0105
        await queueTx.CommitAsync();
        await productsTx.CommitAsync();
    }

    /// <summary>QUE0106: two enqueues on one transaction at once; its connection runs one command at a time.</summary>
    public async Task ConcurrentEnqueuesAsync(string sku)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await Task.WhenAll(
            jobs.EnqueueReindexProductAsync(tx, new ReindexProduct(sku)), // QUE0106
            jobs.EnqueueReindexProductAsync(tx, new ReindexProduct(sku + "-variant"))); // QUE0106
        await tx.CommitAsync();
    }

    /// <summary>The fire-and-forget overload where nothing else is written: one autocommitted insert, its purpose. No diagnostic.</summary>
    public async Task FireAndForgetWithoutWritesAsync(string sku)
    {
        await jobs.EnqueueReindexProductAsync(new ReindexProduct(sku));
    }

    /// <summary>QUE0101: the fire-and-forget overload while the write's transaction is still open.</summary>
    public async Task FireAndForgetInsideATransactionAsync(NpgsqlConnection connection, string sku)
    {
        await using var tx = await connection.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand("UPDATE products SET price = price WHERE sku = $1", connection, tx))
        {
            await update.ExecuteNonQueryAsync();
        }

        await jobs.EnqueueReindexProductAsync(new ReindexProduct(sku)); // QUE0101
        await tx.CommitAsync();
    }

    /// <summary>QUE0102: the fire-and-forget overload after the write committed: the data can commit without the job.</summary>
    public async Task FireAndForgetAfterTheWriteAsync(NpgsqlConnection connection, string sku)
    {
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using var update = new NpgsqlCommand("UPDATE products SET price = price WHERE sku = $1", connection, tx);
            await update.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }

        await jobs.EnqueueReindexProductAsync(new ReindexProduct(sku)); // QUE0102
    }
    /// <summary>QUE0101: a transaction from a deconstruction is seen as open like any other local.</summary>
    public async Task DeconstructedTransactionAsync(string sku)
    {
        var (connection, tx) = await OpenAsync();
        await using (var update = new NpgsqlCommand("UPDATE products SET price = price WHERE sku = $1", connection, tx))
        {
            await update.ExecuteNonQueryAsync();
        }

        await jobs.EnqueueReindexProductAsync(new ReindexProduct(sku)); // QUE0101
        await tx.CommitAsync();
        await connection.DisposeAsync();
    }

    /// <summary>QUE0104: the enqueue's task is awaited inside Task.Run, but Task.Run's own task is dropped: it races the commit.</summary>
    public async Task DroppedThroughTaskRunAsync(string sku)
    {
        var (connection, tx) = await OpenAsync();
        _ = Task.Run(async () => await jobs.EnqueueReindexProductAsync(tx, new ReindexProduct(sku))); // QUE0104
        await tx.CommitAsync();
        await connection.DisposeAsync();
    }

    /// <summary>QUE0106: tasks gathered in a list in a loop all run on the one transaction at once.</summary>
    public async Task GatheredInALoopAsync(IReadOnlyList<string> skus)
    {
        var (connection, tx) = await OpenAsync();
        var tasks = new List<Task>();
        foreach (var sku in skus)
        {
            tasks.Add(jobs.EnqueueReindexProductAsync(tx, new ReindexProduct(sku))); // QUE0106
        }

        await Task.WhenAll(tasks);
        await tx.CommitAsync();
        await connection.DisposeAsync();
    }

    /// <summary>One transaction per item: Parallel.ForEachAsync shares nothing here. No diagnostic.</summary>
    public async Task TransactionPerItemAsync(IReadOnlyList<string> skus)
    {
        await Parallel.ForEachAsync(skus, async (sku, ct) =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            await jobs.EnqueueReindexProductAsync(tx, new ReindexProduct(sku), cancellationToken: ct);
            await tx.CommitAsync(ct);
        });
    }

    private async Task<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)> OpenAsync()
    {
        var connection = await dataSource.OpenConnectionAsync();
        return (connection, await connection.BeginTransactionAsync());
    }
}
