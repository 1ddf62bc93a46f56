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
}
