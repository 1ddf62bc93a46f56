using Queues;

namespace DashboardSample;

/// <summary>The payload of <c>sendInvoice</c>.</summary>
public sealed record SendInvoice(string Invoice, decimal Amount);

/// <summary>The payload of <c>welcomeEmail</c>.</summary>
public sealed record WelcomeEmail(string Email);

/// <summary>Jobs that give the dashboard something to show: some succeed, some fail and end discarded, one is periodic.</summary>
public static class DemoJobs
{
    [Job("welcomeEmail", Queue = "email")]
    public static async Task WelcomeAsync(WelcomeEmail payload, CancellationToken cancellationToken)
        => await Task.Delay(Random.Shared.Next(50, 400), cancellationToken);

    /// <summary>Fails for invoices ending in 7: retry them from the dashboard's job page (they fail again, by design).</summary>
    [Job("sendInvoice", Queue = "billing", MaxAttempts = 2, RetryBaseDelaySeconds = 1)]
    public static async Task InvoiceAsync(SendInvoice payload, CancellationToken cancellationToken)
    {
        await Task.Delay(100, cancellationToken);
        if (payload.Invoice.EndsWith('7'))
        {
            throw new InvalidOperationException($"The payment provider rejected {payload.Invoice}: 402 Payment Required.");
        }
    }

    [Job("nightlyReport", Cron = "0 3 * * *")]
    public static Task NightlyReportAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
