// The README's example as a whole program. PackageTests compiles it in a fresh project that references only the
// Queues package, runs it against PostgreSQL (QUEUES_CONNECTION_STRING) and publishes it with native AOT.
// The README's "In code" block is the text between the "README: begin" and "README: end" lines, joined by a blank
// line; Queues.DocsTests fails when the two drift apart.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Queues;

var builder = Host.CreateApplicationBuilder(args);

// What appsettings.json would hold; options bind through the generated (AOT-safe) configuration binder.
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Queues:ConnectionString"] = Environment.GetEnvironmentVariable("QUEUES_CONNECTION_STRING")
        ?? throw new InvalidOperationException("Set QUEUES_CONNECTION_STRING to a PostgreSQL server."),
    ["Queues:Schema"] = Environment.GetEnvironmentVariable("QUEUES_SCHEMA") ?? "queues",
    ["Queues:Queues:email"] = "5",
    ["Queues:ShutdownTimeout"] = "00:00:10",
});
builder.Services.AddSingleton<IEmailSender, ConsoleEmailSender>();
await using var dataSource = NpgsqlDataSource.Create(builder.Configuration["Queues:ConnectionString"]!);
var user = (Id: Guid.NewGuid(), Email: "ada@example.com");

// README: begin
builder.Services.AddQueues(builder.Configuration.GetSection("Queues")).AddJobs();   // AddJobs() is generated
using var host = builder.Build();
await host.Services.GetRequiredService<QueuesClient>().MigrateAsync();               // or from your deployment
await host.StartAsync();

// Anywhere you write data: the user and the job commit together, or neither does.
var jobs = host.Services.GetRequiredService<Jobs>();
await using (var connection = await dataSource.OpenConnectionAsync())
await using (var tx = await connection.BeginTransactionAsync())
{
    await InsertUserAsync(connection, tx, user.Id, user.Email);
    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(user.Id, user.Email));
    await tx.CommitAsync();
}
// README: end

var sender = (ConsoleEmailSender)host.Services.GetRequiredService<IEmailSender>();
var sentTo = await sender.Sent.WaitAsync(TimeSpan.FromMinutes(1));
Console.WriteLine($"job ran: welcome sent to {sentTo}");
await host.StopAsync();

// A stand-in for your own table: a temporary one, so the example leaves nothing behind.
static async Task InsertUserAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid id, string email)
{
    await using var command = new NpgsqlCommand(
        "CREATE TEMPORARY TABLE IF NOT EXISTS users (id uuid PRIMARY KEY, email text NOT NULL); INSERT INTO users VALUES (@id, @email)", connection, tx);
    command.Parameters.AddWithValue("id", id);
    command.Parameters.AddWithValue("email", email);
    await command.ExecuteNonQueryAsync();
}

// README: begin
public sealed record UserOnboarding(Guid UserId, string Email);

public sealed class OnboardingJobs(IEmailSender email)                                  // created per job from a DI scope
{
    [Job("userOnboarding", Queue = "email", MaxAttempts = 10)]
    public Task WelcomeAsync(UserOnboarding payload, JobContext context, CancellationToken cancellationToken)
        => email.SendWelcomeAsync(payload.Email, cancellationToken);
}
// README: end

public interface IEmailSender
{
    Task SendWelcomeAsync(string email, CancellationToken cancellationToken);
}

public sealed class ConsoleEmailSender : IEmailSender
{
    private readonly TaskCompletionSource<string> _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<string> Sent => _sent.Task;

    public Task SendWelcomeAsync(string email, CancellationToken cancellationToken)
    {
        _sent.TrySetResult(email);
        return Task.CompletedTask;
    }
}
