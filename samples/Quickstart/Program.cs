// The README's first command: dotnet run --project samples/Quickstart
// With no connection string it starts a throwaway PostgreSQL from the machine's binaries, enqueues typed jobs inside a
// transaction (and one in a transaction that rolls back), runs the worker until they are done, and stops the server.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Queues;
using Queues.Testing;
using Quickstart;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
var connectionString = Environment.GetEnvironmentVariable("QUEUES_CONNECTION_STRING") ?? builder.Configuration.GetConnectionString("Queues");

TemporaryPostgres? server = null;
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.WriteLine("No QUEUES_CONNECTION_STRING (or ConnectionStrings:Queues) set: starting a throwaway PostgreSQL...");
    try
    {
        server = await TemporaryPostgres.StartAsync();
    }
    catch (PostgresNotFoundException e)
    {
        Console.Error.WriteLine(e.Message);
        return 2;
    }

    connectionString = server.ConnectionString;
    Console.WriteLine($"PostgreSQL is listening on 127.0.0.1:{server.Port}.");
}

try
{
    builder.Services.AddSingleton(RunLog.Shared);
    builder.Services
        .AddQueues(options =>
        {
            options.ConnectionString = connectionString;
            options.Schema = "queues_quickstart";
            options.PollInterval = TimeSpan.FromMilliseconds(200);
        })
        .AddJobs();

    using var host = builder.Build();
    var client = host.Services.GetRequiredService<QueuesClient>();
    var applied = await client.MigrateAsync();
    Console.WriteLine($"Schema '{client.Schema}' migrated ({applied} migrations applied).");

    var jobs = host.Services.GetRequiredService<Jobs>();
    await using (var connection = await client.DataSource.OpenConnectionAsync())
    {
        await using (var create = new NpgsqlCommand(
            "CREATE TABLE IF NOT EXISTS quickstart_users (id uuid PRIMARY KEY, email text NOT NULL); "
            + "ALTER TABLE quickstart_users ADD COLUMN IF NOT EXISTS onboarded_at timestamptz", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        // The user row and its jobs commit together: no dual write.
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var userId = Guid.NewGuid();
            await using (var insert = new NpgsqlCommand("INSERT INTO quickstart_users (id, email) VALUES ($1, $2)", connection, transaction))
            {
                insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = userId });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "ada@example.com" });
                await insert.ExecuteNonQueryAsync();
            }

            await jobs.EnqueueUserOnboardingAsync(transaction, new UserOnboarding(userId, "ada@example.com", ["compilers", "queues"]));
            await jobs.EnqueueSendInvoiceAsync(transaction, new SendInvoice(userId, 42.50m, new DateOnly(2026, 12, 31), Currency.Eur));
            await jobs.EnqueueSendInvoiceAsync(transaction, new SendInvoice(userId, 7m, new DateOnly(2027, 1, 31), Currency.Usd));

            // Same user and due date as the first invoice: a duplicate, so nothing is inserted.
            var again = await jobs.EnqueueSendInvoiceAsync(transaction, new SendInvoice(userId, 42.50m, new DateOnly(2026, 12, 31), Currency.Eur));
            Console.WriteLine($"A second invoice for the same user and due date is {(again.IsDuplicate ? $"a duplicate of job {again.Id}" : "new")}.");
            await transaction.CommitAsync();
            Console.WriteLine("Committed a user and 3 jobs in one transaction.");
        }

        // Rolled back: this job never existed and never runs.
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await jobs.EnqueueUserOnboardingAsync(transaction, new UserOnboarding(Guid.NewGuid(), "rolled-back@example.com", []));
            await transaction.RollbackAsync();
            Console.WriteLine("Rolled back a transaction holding 1 job.");
        }
    }

    await host.StartAsync();
    Console.WriteLine("Worker started; waiting for the jobs:");
    await RunLog.Shared.WaitForAsync(3, TimeSpan.FromSeconds(60));
    await host.StopAsync();
    await using (var onboarded = client.DataSource.CreateCommand(
        "SELECT count(*) FROM quickstart_users WHERE email = 'ada@example.com' AND onboarded_at IS NOT NULL"))
    {
        Console.WriteLine($"Users marked onboarded in the job's own transaction: {await onboarded.ExecuteScalarAsync()}.");
    }

    Console.WriteLine("All 3 committed jobs ran; the rolled-back one did not. Done.");
    return 0;
}
finally
{
    if (server is not null)
    {
        await server.DisposeAsync();
        Console.WriteLine("Throwaway PostgreSQL stopped and removed.");
    }
}
