using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Queues.Internal;

/// <summary>One of the Queues health checks (see <see cref="QueuesHealthChecks"/>); each reads at most one small query.</summary>
internal sealed class QueuesHealthCheck(QueuesHealthCheck.Kind kind, QueuesHealthCheckOptions options, IServiceProvider services) : IHealthCheck
{
    public enum Kind
    {
        Database,
        Schema,
        Worker,
        Leader,
        Backlog,
        Unserved,
        Snapshots,
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration.FailureStatus;
        var store = services.GetRequiredService<JobStore>();
        try
        {
            return kind switch
            {
                Kind.Database => await DatabaseAsync(store, cancellationToken).ConfigureAwait(false),
                Kind.Schema => await SchemaAsync(store, failure, cancellationToken).ConfigureAwait(false),
                Kind.Worker => Worker(failure),
                Kind.Leader => await LeaderAsync(store, failure, cancellationToken).ConfigureAwait(false),
                Kind.Backlog => await BacklogAsync(store, failure, cancellationToken).ConfigureAwait(false),
                Kind.Unserved => await UnservedAsync(store, failure, cancellationToken).ConfigureAwait(false),
                _ => await SnapshotsAsync(store, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(failure, $"Could not check: {exception.Message}", exception);
        }
    }

    private static async Task<HealthCheckResult> DatabaseAsync(JobStore store, CancellationToken cancellationToken)
    {
        var connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await store.ProbeAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        return HealthCheckResult.Healthy($"PostgreSQL answers (schema '{store.Schema}').");
    }

    private static async Task<HealthCheckResult> SchemaAsync(JobStore store, HealthStatus failure, CancellationToken cancellationToken)
    {
        var version = await store.GetSchemaVersionAsync(cancellationToken).ConfigureAwait(false);
        var data = new Dictionary<string, object> { ["version"] = version, ["expected"] = Migrations.LatestVersion };
        return version == Migrations.LatestVersion
            ? HealthCheckResult.Healthy($"Schema '{store.Schema}' is at migration {version}.", data)
            : version < Migrations.LatestVersion
                ? new HealthCheckResult(failure, $"Schema '{store.Schema}' is at migration {version}; this build needs {Migrations.LatestVersion}. Run the migrations.", data: data)
                : HealthCheckResult.Degraded($"Schema '{store.Schema}' is at migration {version}, newer than this build knows ({Migrations.LatestVersion}).", data: data);
    }

    private HealthCheckResult Worker(HealthStatus failure)
    {
        var liveness = services.GetRequiredService<WorkerLiveness>();
        if (!services.GetRequiredService<IOptions<QueuesOptions>>().Value.ProcessJobs)
        {
            return HealthCheckResult.Healthy("This process does not process jobs (QueuesOptions.ProcessJobs is off).");
        }

        switch (liveness.Status)
        {
            case WorkerStatus.NotStarted:
                return new HealthCheckResult(failure, "The Queues worker has not started.");
            case WorkerStatus.WaitingForDatabase:
                return new HealthCheckResult(failure, "The Queues worker is waiting for its database (or for its schema to be migrated).");
            case WorkerStatus.Stopped:
                return new HealthCheckResult(failure, "The Queues worker has stopped.");
        }

        var data = new Dictionary<string, object>();
        var stale = new List<string>();
        foreach (var loop in liveness.Loops)
        {
            var since = loop.SinceLastBeat;
            data[loop.Name] = $"{since.TotalSeconds:0.###} s ago";
            var limit = loop.Interval * 3 > options.LoopStaleAfter ? loop.Interval * 3 : options.LoopStaleAfter;
            if (since > limit)
            {
                stale.Add($"{loop.Name} (last iteration {since.TotalSeconds:0} s ago)");
            }
        }

        return stale.Count == 0
            ? HealthCheckResult.Healthy($"{liveness.Loops.Count} worker loops are alive.", data)
            : new HealthCheckResult(failure, $"Worker loops stuck, crashed or failing: {string.Join(", ", stale)}.", data: data);
    }

    private static async Task<HealthCheckResult> LeaderAsync(JobStore store, HealthStatus failure, CancellationToken cancellationToken)
    {
        var lease = await store.GetLeaderLeaseAsync(cancellationToken).ConfigureAwait(false);
        return lease is { Valid: true }
            ? HealthCheckResult.Healthy($"Worker {lease.Holder} leads maintenance.", new Dictionary<string, object> { ["holder"] = lease.Holder })
            : new HealthCheckResult(failure, lease is null
                ? "No worker leads maintenance: scheduled and retried jobs are not promoted, crashed workers' jobs not rescued."
                : $"The maintenance lease of {lease.Holder} has expired and no worker has taken it over.");
    }

    private async Task<HealthCheckResult> BacklogAsync(JobStore store, HealthStatus failure, CancellationToken cancellationToken)
    {
        if (options.MaxAvailableAge is not { } limit)
        {
            return HealthCheckResult.Healthy("Backlog check off (QueuesHealthCheckOptions.MaxAvailableAge is null).");
        }

        var data = new Dictionary<string, object>();
        var late = new List<string>();
        foreach (var row in await store.QueueStatsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (row.OldestSeconds is { } seconds)
            {
                data[row.Queue] = seconds;
                if (seconds > limit.TotalSeconds)
                {
                    late.Add($"{row.Queue} ({row.Count} available, oldest due {seconds:0} s ago)");
                }
            }
        }

        return late.Count == 0
            ? HealthCheckResult.Healthy($"No available job has been due longer than {limit}.", data)
            : new HealthCheckResult(failure, $"Jobs waiting longer than {limit}: {string.Join(", ", late)}.", data: data);
    }

    private async Task<HealthCheckResult> UnservedAsync(JobStore store, HealthStatus failure, CancellationToken cancellationToken)
    {
        var queues = services.GetRequiredService<WorkerLiveness>().Queues;
        var unserved = await store.UnservedQueuesAsync(queues, options.UnservedAfter, cancellationToken).ConfigureAwait(false);
        if (unserved.Count == 0)
        {
            return HealthCheckResult.Healthy("Every queue holding due jobs is served by a live worker.");
        }

        var data = new Dictionary<string, object>();
        foreach (var queue in unserved)
        {
            data[queue.Queue] = queue.Count;
        }

        return new HealthCheckResult(failure,
            $"Queues with due jobs that no live worker serves: {string.Join(", ", unserved.Select(static q => $"{q.Queue} ({q.Count} due, oldest {q.OldestSeconds:0} s)"))}.",
            data: data);
    }

    private static string Describe(OldSnapshot session) => $"{session.User}, '{session.Application}', {session.State}, {session.AgeSeconds:0} s";

    private async Task<HealthCheckResult> SnapshotsAsync(JobStore store, CancellationToken cancellationToken)
    {
        if (options.MaxSnapshotAge is not { } limit)
        {
            return HealthCheckResult.Healthy("Snapshot check off (QueuesHealthCheckOptions.MaxSnapshotAge is null).");
        }

        var old = await store.OldSnapshotsAsync(limit, cancellationToken).ConfigureAwait(false);
        if (old.Count == 0)
        {
            return HealthCheckResult.Healthy($"No session has held a snapshot longer than {limit}.");
        }

        var data = new Dictionary<string, object>();
        foreach (var session in old)
        {
            data[$"pid {session.Pid}"] = Describe(session);
        }

        // Degraded whatever the failure status: jobs still run, only slower, and restarting this process would not help.
        return HealthCheckResult.Degraded(
            $"Sessions have held a snapshot longer than {limit}, so vacuum cannot remove dead job rows and claims slow down: " +
            string.Join(", ", old.Select(static s => $"pid {s.Pid} ({Describe(s)})")) +
            ". End them (pg_terminate_backend) and set idle_in_transaction_session_timeout; see docs/operations.md.",
            data: data);
    }
}
