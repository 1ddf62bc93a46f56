// dotnet run --project samples/WebApi
// A minimal API that creates a user with EF Core and enqueues its onboarding job in the same transaction, runs the
// Queues worker in process, exports traces and metrics with OpenTelemetry (console, or OTLP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set) and maps /health. With no connection string it starts a throwaway PostgreSQL.
//   curl -X POST localhost:5000/users -H 'content-type: application/json' -d '{"email":"ada@example.com"}'
//   curl localhost:5000/health
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Queues;
using Queues.Testing;
using WebApi;

var builder = WebApplication.CreateBuilder(args);
var connectionString = builder.Configuration.GetConnectionString("Queues") ?? Environment.GetEnvironmentVariable("QUEUES_CONNECTION_STRING");
TemporaryPostgres? server = null;
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.WriteLine("No QUEUES_CONNECTION_STRING (or ConnectionStrings:Queues) set: starting a throwaway PostgreSQL...");
    server = await TemporaryPostgres.StartAsync();
    connectionString = server.ConnectionString;
}

builder.Services.AddDbContext<AppDbContext>(options => options.UseNpgsql(connectionString));
builder.Services
    .AddQueues(options =>
    {
        options.ConnectionString = connectionString;
        options.Schema = "queues_webapi";
        options.MigrateOnStart = true;
    })
    .AddJobs();
builder.Services.AddHealthChecks().AddQueues();

// Telemetry:Exporter = console (the default), otlp (also chosen by OTEL_EXPORTER_OTLP_ENDPOINT) or none.
var exporter = builder.Configuration["Telemetry:Exporter"]
    ?? (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is null ? "console" : "otlp");
builder.Services.AddOpenTelemetry()
    .ConfigureResource(static resource => resource.AddService("Queues.WebApi"))
    .WithTracing(tracing =>
    {
        tracing.AddAspNetCoreInstrumentation().AddSource(QueuesInstrumentation.ActivitySourceName);
        _ = exporter switch
        {
            "otlp" => tracing.AddOtlpExporter(),
            "console" => tracing.AddConsoleExporter(),
            _ => tracing,
        };
    })
    .WithMetrics(metrics =>
    {
        metrics.AddAspNetCoreInstrumentation().AddMeter(QueuesInstrumentation.MeterName);
        _ = exporter switch
        {
            "otlp" => metrics.AddOtlpExporter(),
            "console" => metrics.AddConsoleExporter(static (_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 10_000),
            _ => metrics,
        };
    });

var app = builder.Build();
await using (var scope = app.Services.CreateAsyncScope())
{
    await scope.ServiceProvider.GetRequiredService<AppDbContext>().Database.ExecuteSqlRawAsync(AppDbContext.CreateTable);
}

// The user row and its onboarding job commit together, or neither exists.
app.MapPost("/users", static async (CreateUser request, AppDbContext db, Jobs jobs, CancellationToken cancellationToken) =>
{
    var user = new User { Id = Guid.NewGuid(), Email = request.Email, CreatedAt = DateTimeOffset.UtcNow };
    await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
    db.Users.Add(user);
    await db.SaveChangesAsync(cancellationToken);
    var job = await jobs.EnqueueUserOnboardingAsync(db.Database.GetNpgsqlTransaction(), new UserOnboarding(user.Id, user.Email), cancellationToken: cancellationToken);
    await transaction.CommitAsync(cancellationToken);
    return Results.Created($"/users/{user.Id}", new CreatedUser(user.Id, job.Id.Value));
});

app.MapGet("/users/{id:guid}", static async (Guid id, AppDbContext db, CancellationToken cancellationToken)
    => await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, cancellationToken) is { } user ? Results.Ok(user) : Results.NotFound());

// Every check by name with its status, description and error, so a 503 says which check failed.
app.MapHealthChecks("/health", new HealthCheckOptions
{
    ResponseWriter = static (context, report) =>
    {
        context.Response.ContentType = QueuesHealthResponse.ContentType;
        return QueuesHealthResponse.WriteAsync(context.Response.Body, report, context.RequestAborted);
    },
});

try
{
    await app.RunAsync();
}
finally
{
    if (server is not null)
    {
        await server.DisposeAsync();
    }
}

/// <summary>The body of <c>POST /users</c>.</summary>
public sealed record CreateUser(string Email);

/// <summary>The answer of <c>POST /users</c>: the new user and its onboarding job.</summary>
public sealed record CreatedUser(Guid Id, long JobId);

/// <summary>For WebApplicationFactory in tests/Queues.WebApi.Tests.</summary>
public partial class Program;
