using Microsoft.EntityFrameworkCore;
using Queues;

namespace WebApi;

/// <summary>The payload of the <c>userOnboarding</c> job.</summary>
public sealed record UserOnboarding(Guid UserId, string Email);

/// <summary>
/// Runs in the worker hosted by the web app. Its <see cref="AppDbContext"/> (the application's own, from DI) writes in
/// the job's transaction, so marking the user onboarded commits together with the job's completion.
/// </summary>
public sealed class OnboardingJobs(AppDbContext db, ILogger<OnboardingJobs> logger)
{
    [Job("userOnboarding", MaxAttempts = 5)]
    public async Task WelcomeAsync(UserOnboarding payload, JobContext context, CancellationToken cancellationToken)
    {
        await context.UseJobTransactionAsync(db, cancellationToken);
        var user = await db.Users.SingleAsync(u => u.Id == payload.UserId, cancellationToken);
        user.OnboardedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Welcome mail to {Email} (job {JobId}, attempt {Attempt})", payload.Email, context.Id, context.Attempt);
    }
}
