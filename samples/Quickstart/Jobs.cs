using Npgsql;
using Queues;

namespace Quickstart;

/// <summary>The payload of the <c>userOnboarding</c> job.</summary>
public sealed record UserOnboarding(Guid UserId, string Email, string[] Interests);

/// <summary>The payload of the <c>sendInvoice</c> job.</summary>
public sealed record SendInvoice(Guid UserId, decimal Amount, DateOnly DueOn, Currency Currency);

/// <summary>An invoice currency; stored by name in the payload.</summary>
public enum Currency
{
    Eur,
    Usd,
}

/// <summary>
/// An instance handler: created per job from the job's DI scope, with its dependencies injected. It marks the user
/// onboarded in the job's own transaction, which commits together with the job's completion: if the worker died
/// before that commit, the job would run again and the user would still be marked exactly once.
/// </summary>
public sealed class OnboardingJobs(RunLog log)
{
    [Job("userOnboarding", Queue = "email", MaxAttempts = 5)]
    public async Task WelcomeAsync(UserOnboarding payload, JobContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(10, cancellationToken);
        var transaction = await context.GetTransactionAsync(cancellationToken);
        await using (var update = new NpgsqlCommand("UPDATE quickstart_users SET onboarded_at = now() WHERE id = $1", transaction.Connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = payload.UserId });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        log.Record($"job {context.Id} userOnboarding: welcome mail to {payload.Email} (interests: {string.Join(", ", payload.Interests)})");
    }
}

/// <summary>
/// A static handler: no instance, dependencies come from the method's own parameters. Unique by user and due date:
/// while one invoice job for them is pending, enqueuing another inserts nothing and reports the pending one.
/// </summary>
public static class BillingJobs
{
    [Job("sendInvoice", UniqueBy = new[] { nameof(global::Quickstart.SendInvoice.UserId), nameof(global::Quickstart.SendInvoice.DueOn) })]
    public static void SendInvoice(SendInvoice payload, JobContext context)
        => RunLog.Shared.Record($"job {context.Id} sendInvoice: {payload.Amount} {payload.Currency} due {payload.DueOn:yyyy-MM-dd}");
}

/// <summary>What the handlers did, and a signal when the expected number of jobs ran.</summary>
public sealed class RunLog
{
    private readonly List<string> _lines = [];
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _expected = int.MaxValue;

    public static RunLog Shared { get; } = new();

    public void Record(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
            Console.WriteLine("  ran " + line);
            if (_lines.Count >= _expected)
            {
                _done.TrySetResult();
            }
        }
    }

    public Task WaitForAsync(int count, TimeSpan timeout)
    {
        lock (_lines)
        {
            _expected = count;
            if (_lines.Count >= count)
            {
                _done.TrySetResult();
            }

            return _done.Task.WaitAsync(timeout);
        }
    }
}
