using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Queues.Internal;

/// <summary>
/// Runs one claimed job and says what came of it, writing nothing itself: finds the handler, opens a DI scope, calls the
/// handler with its token (fired by the job's timeout, shutdown, or the job being cancelled or rescued elsewhere), abandons a handler that
/// ignores that token, and maps every way the run can end to a <see cref="JobResult"/> for the <see cref="Completer"/>.
/// A result that carries the handler's transaction leaves it open for the completer to commit with the outcome; on
/// every other path the executor has ended it.
/// </summary>
internal sealed class JobExecutor(IServiceProvider services, JobRegistry registry, NpgsqlDataSource dataSource, RetryDelays retryDelays,
    string workerName, ILogger logger)
{
    /// <summary>A handler that ignores its cancelled token this long is abandoned: its slot is freed, its attempt recorded.</summary>
    public static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(5);

    /// <summary>The timeout of the job's handler, or null (no handler, or no limit).</summary>
    public TimeSpan? TimeoutOf(ClaimedJob job) => registry.TryGet(job.Name, out var registration) ? registration.Job.Timeout : null;

    public async Task<JobResult> ExecuteAsync(ClaimedJob job, JobCancellation cancellation)
    {
        if (!registry.TryGet(job.Name, out var registration))
        {
            // A failed attempt, not a discard: during a rolling deploy an older worker claims jobs only newer workers
            // serve, and a retry reaches one of those. A name nobody serves is discarded once its attempts run out.
            return JobResult.Failed(new ErrorRecord(ErrorKinds.UnknownJob, null,
                $"No handler is registered for job name '{job.Name}' (queue '{job.Queue}') in worker {workerName}; it is retried in case another worker serves it.",
                null), retryDelays.For(job.Name, job.Attempt));
        }

        if (cancellation.Token.IsCancellationRequested)
        {
            // Lost (cancelled or rescued elsewhere) or stopped while it waited for a thread: its handler never starts.
            return cancellation.CancelledElsewhere ? JobResult.CancelledElsewhere : JobResult.Released;
        }

        var transaction = new HandlerTransaction(dataSource);
        var context = new JobContext(new JobId(job.Id), job.Name, job.Queue, job.Attempt, job.MaxAttempts, job.CreatedAt, transaction);
        cancellation.StartTimer();
        var run = RunHandlerAsync(registration, job, context, transaction, cancellation.Token);
        try
        {
            if (!run.IsCompleted && !await cancellation.WaitOrAbandonAsync(run, AbandonAfter).ConfigureAwait(false))
            {
                // The handler ignored its cancelled token. Its slot is freed; it may still be running, even on its
                // transaction's connection, so that transaction is ended only once the handler returns.
                transaction.EndAfter(run);
                LogMessages.HandlerAbandoned(logger, job.Id, job.Name, (long)AbandonAfter.TotalMilliseconds);
                return Interrupted(job, cancellation, registration.Job.Timeout, abandoned: true, null);
            }

            await run.ConfigureAwait(false);
        }
        catch (JobPayloadException exception)
        {
            return JobResult.Discarded(ErrorRecord.From(ErrorKinds.Payload, exception), null) with { Exception = exception };
        }
        catch (Exception exception) when (cancellation.TimedOut || cancellation.CancelledElsewhere || cancellation.Stopped)
        {
            return Interrupted(job, cancellation, registration.Job.Timeout, abandoned: false, exception);
        }
        catch (Exception exception)
        {
            return JobResult.Failed(ErrorRecord.From(ErrorKinds.Exception, exception), retryDelays.For(job.Name, job.Attempt)) with { Exception = exception };
        }

        var open = transaction.Transaction is null ? null : transaction;
        return context.RequestedOutcome switch
        {
            null => JobResult.Completed(open),
            { Kind: JobOutcomeKind.Snooze } snooze => JobResult.Snoozed(snooze.Delay, open),
            { Kind: JobOutcomeKind.Cancel } cancel => JobResult.Cancelled(cancel.Reason!, open),
            { } discard => JobResult.Discarded(new ErrorRecord(ErrorKinds.Discarded, null, discard.Reason!, null), open),
        };
    }

    /// <summary>
    /// A run whose token fired, however the handler reported it: whatever fired first is the reason (see
    /// <see cref="JobCancellation"/>); a shutdown releases the job.
    /// </summary>
    private JobResult Interrupted(ClaimedJob job, JobCancellation cancellation, TimeSpan? timeout, bool abandoned, Exception? exception)
    {
        if (cancellation.TimedOut)
        {
            var timedOut = exception as TimeoutException ?? new TimeoutException(abandoned
                ? $"Job '{job.Name}' ran past its timeout of {timeout} and ignored cancellation; its attempt was abandoned."
                : $"Job '{job.Name}' exceeded its timeout of {timeout} and was cancelled.", exception);
            return JobResult.Failed(ErrorRecord.From(ErrorKinds.Timeout, timedOut), retryDelays.For(job.Name, job.Attempt), abandoned) with { Exception = timedOut };
        }

        return cancellation.CancelledElsewhere ? JobResult.CancelledElsewhere : JobResult.Released;
    }

    private async Task RunHandlerAsync(JobRegistry.Registration registration, ClaimedJob job, JobContext context, HandlerTransaction transaction,
        CancellationToken cancellationToken)
    {
        var scope = services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            try
            {
                await registration.Handler(scope.ServiceProvider, job.Payload, context, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // The handler's own work must not outlive its failure: roll it back before the failure is recorded.
                await EndQuietlyAsync(transaction, job).ConfigureAwait(false);
                throw;
            }
        }
    }

    private async Task EndQuietlyAsync(HandlerTransaction transaction, ClaimedJob job)
    {
        try
        {
            await transaction.EndAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogMessages.TransactionEndFailed(logger, exception, job.Id, job.Name);
        }
    }
}
