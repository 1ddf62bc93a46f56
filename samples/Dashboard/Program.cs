// The dashboard in an ASP.NET Core app: dotnet run --project samples/Dashboard, then open http://localhost:5000/queues
// With no QUEUES_CONNECTION_STRING (or ConnectionStrings:Queues) it starts a throwaway PostgreSQL from the machine's
// binaries. It enqueues a few jobs a second so the charts move; some fail and end discarded, ready to be retried.
using DashboardSample;
using Npgsql;
using Queues;
using Queues.Dashboard;
using Queues.Testing;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls(builder.Configuration["urls"] ?? "http://localhost:5000");
var connectionString = Environment.GetEnvironmentVariable("QUEUES_CONNECTION_STRING") ?? builder.Configuration.GetConnectionString("Queues");
await using var server = string.IsNullOrWhiteSpace(connectionString) ? await TemporaryPostgres.StartAsync() : null;
connectionString ??= server!.ConnectionString;

builder.Services.AddQueues(o =>
{
    o.ConnectionString = connectionString;
    o.MigrateOnStart = true;
}).AddJobs();
builder.Services.AddAntiforgery();

// Outside Development the dashboard refuses to map without a policy: this one admits authenticated users in the
// "ops" role. Plug in your app's authentication (cookies, OpenID Connect...) to sign operators in.
builder.Services.AddAuthorization(o => o.AddPolicy("QueuesOps", p => p.RequireAuthenticatedUser().RequireRole("ops")));
builder.Services.AddHostedService<DemoTraffic>();

var app = builder.Build();
app.MapGet("/", () => Results.Redirect("/queues"));
app.MapQueuesDashboard("/queues", o =>
{
    o.AllowActions = true;
    o.ShowPayloads = app.Environment.IsDevelopment();
    o.AuthorizationPolicy = app.Environment.IsDevelopment() ? null : "QueuesOps";
});
app.Run();

/// <summary>Enqueues a few demo jobs a second, in a transaction as a real app would.</summary>
internal sealed class DemoTraffic(Jobs jobs, QueuesClient client) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var n = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await client.DataSource.OpenConnectionAsync(stoppingToken);
                await using var transaction = await connection.BeginTransactionAsync(stoppingToken);
                await jobs.EnqueueWelcomeEmailAsync(transaction, new WelcomeEmail($"user{n}@example.com"), cancellationToken: stoppingToken);
                await jobs.EnqueueSendInvoiceAsync(transaction, new SendInvoice($"INV-{1000 + n}", 10 + n % 90), cancellationToken: stoppingToken);
                await transaction.CommitAsync(stoppingToken);
                n++;
                await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException)
            {
                // Not migrated yet (the worker migrates on start): try again shortly.
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
