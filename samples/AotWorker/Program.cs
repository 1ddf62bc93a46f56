// A native AOT worker: `AotWorker <schema> <jobs>` migrates the schema, enqueues <jobs> ping jobs in one transaction,
// runs the worker until every one has run, and exits 0. QUEUES_CONNECTION_STRING names the server.
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Queues;
using AotWorker;

var connectionString = Environment.GetEnvironmentVariable("QUEUES_CONNECTION_STRING");
if (string.IsNullOrWhiteSpace(connectionString) || args.Length != 2 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var count))
{
    Console.Error.WriteLine("usage: QUEUES_CONNECTION_STRING=... AotWorker <schema> <job count>");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<Progress>();
builder.Services
    .AddQueues(options =>
    {
        options.ConnectionString = connectionString;
        options.Schema = args[0];
        options.PollInterval = TimeSpan.FromMilliseconds(100);
        options.MigrateOnStart = true;
    })
    .AddJobs();

using var host = builder.Build();
var client = host.Services.GetRequiredService<QueuesClient>();
await client.MigrateAsync();
var jobs = host.Services.GetRequiredService<Jobs>();
await using (var connection = await client.DataSource.OpenConnectionAsync())
await using (var transaction = await connection.BeginTransactionAsync())
{
    for (var i = 0; i < count; i++)
    {
        await jobs.EnqueueAotPingAsync(transaction, new Ping(i, $"ping {i}", DateTimeOffset.UtcNow, ["aot", "native"]));
    }

    await transaction.CommitAsync();
}

var progress = host.Services.GetRequiredService<Progress>();
progress.Expect(count);
await host.StartAsync();
await progress.Done.WaitAsync(TimeSpan.FromSeconds(120));
await host.StopAsync();
Console.WriteLine($"aot worker ran {progress.Count} jobs");
return 0;
