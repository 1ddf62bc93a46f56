using System.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Queues;

/// <summary>
/// EF Core and Queues in one transaction, both ways: enqueue inside a <see cref="DbContext"/>'s transaction
/// (<see cref="GetNpgsqlTransaction"/>), and let a job handler's own <see cref="DbContext"/> write in the job's
/// transaction (<see cref="UseJobTransactionAsync"/>), so its changes commit with the job's completion.
/// </summary>
public static class QueuesDbContextExtensions
{
    /// <summary>
    /// The <see cref="NpgsqlTransaction"/> under the context's current EF Core transaction, to pass to a generated
    /// <c>Enqueue{Name}Async</c>: the job is inserted in that transaction and exists only if it commits, together with
    /// the entities saved in it.
    /// </summary>
    /// <example><code>
    /// await using var transaction = await db.Database.BeginTransactionAsync(ct);
    /// db.Users.Add(user);
    /// await db.SaveChangesAsync(ct);
    /// await jobs.EnqueueUserOnboardingAsync(db.Database.GetNpgsqlTransaction(), new UserOnboarding(user.Email, user.Id), cancellationToken: ct);
    /// await transaction.CommitAsync(ct);
    /// </code></example>
    /// <param name="database">The context's <see cref="DbContext.Database"/>.</param>
    /// <returns>The open transaction.</returns>
    /// <exception cref="InvalidOperationException">The context has no current transaction, or it is not a PostgreSQL (Npgsql) one.</exception>
    public static NpgsqlTransaction GetNpgsqlTransaction(this DatabaseFacade database)
    {
        ArgumentNullException.ThrowIfNull(database);
        var current = database.CurrentTransaction
            ?? throw new InvalidOperationException(
                "This DbContext has no current transaction, so a job enqueued now would not commit or roll back with its changes. " +
                "Begin one first: await using var transaction = await dbContext.Database.BeginTransactionAsync(cancellationToken);");
        return current.GetDbTransaction() as NpgsqlTransaction
            ?? throw new InvalidOperationException(
                $"The DbContext's transaction is a {current.GetDbTransaction().GetType().Name}, not an NpgsqlTransaction: Queues needs the Npgsql provider (UseNpgsql).");
    }

    /// <summary>
    /// Makes <paramref name="dbContext"/> (typically the application's own context, injected into the handler) work in
    /// the job's transaction (<see cref="JobContext.GetTransactionAsync"/>): its queries and <c>SaveChanges</c> run on
    /// the job's connection and commit when the worker records the job's outcome, or roll back if the attempt fails.
    /// Call it before the context's first query: a context that has opened its own connection or begun a transaction
    /// cannot switch. The context does not own the job's connection (it is not closed when the context is disposed), and
    /// must not commit it: leave that to the worker. Not for pooled contexts (<c>AddDbContextPool</c>), whose connection
    /// outlives the job.
    /// </summary>
    /// <param name="context">The running job.</param>
    /// <param name="dbContext">The context to enlist.</param>
    /// <param name="cancellationToken">Cancels opening the job's transaction.</param>
    /// <returns>The job's transaction, for other code (Dapper, plain Npgsql) that should write in it too.</returns>
    /// <exception cref="InvalidOperationException">The context already has a transaction or an open connection of its own.</exception>
    public static async Task<NpgsqlTransaction> UseJobTransactionAsync(this JobContext context, DbContext dbContext, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(dbContext);
        var transaction = await context.GetTransactionAsync(cancellationToken).ConfigureAwait(false);
        var database = dbContext.Database;
        if (database.CurrentTransaction is { } current)
        {
            if (ReferenceEquals(current.GetDbTransaction(), transaction))
            {
                return transaction; // Already enlisted.
            }

            throw new InvalidOperationException(
                $"Job {context.Id} ('{context.Name}'): this {dbContext.GetType().Name} already has a transaction of its own; call UseJobTransactionAsync before beginning one.");
        }

        var connection = transaction.Connection!;
        if (!ReferenceEquals(database.GetDbConnection(), connection))
        {
            if (database.GetDbConnection().State != ConnectionState.Closed)
            {
                throw new InvalidOperationException(
                    $"Job {context.Id} ('{context.Name}'): this {dbContext.GetType().Name} has already opened its own connection; call UseJobTransactionAsync before its first query.");
            }

            // EF Core lets a context switch connections while its own is closed; it must not close or dispose the job's.
            database.SetDbConnection(connection, contextOwnsConnection: false);
        }

        await database.UseTransactionAsync(transaction, cancellationToken).ConfigureAwait(false);
        return transaction;
    }
}
