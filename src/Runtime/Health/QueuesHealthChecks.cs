using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Queues.Internal;

namespace Queues;

/// <summary>
/// Registers the Queues health checks: <c>builder.Services.AddHealthChecks().AddQueues()</c>. Each check is its own
/// entry (names below), tagged <c>queues</c>; docs/observability.md says what each one looks at.
/// </summary>
public static class QueuesHealthChecks
{
    /// <summary>The database answers a round trip.</summary>
    public const string Database = "queues.database";

    /// <summary>The schema is at the migration this build needs.</summary>
    public const string Schema = "queues.schema";

    /// <summary>This process's worker loops (claim per queue, heartbeat, maintenance) run and reach the database.</summary>
    public const string Worker = "queues.worker";

    /// <summary>Some worker holds a valid maintenance lease (so jobs are promoted, rescued and retained).</summary>
    public const string Leader = "queues.leader";

    /// <summary>No queue's oldest available job has been due longer than <see cref="QueuesHealthCheckOptions.MaxAvailableAge"/>.</summary>
    public const string Backlog = "queues.backlog";

    /// <summary>No queue holds due jobs that no live worker serves.</summary>
    public const string Unserved = "queues.unserved";

    /// <summary>
    /// No session of the database has held a snapshot longer than <see cref="QueuesHealthCheckOptions.MaxSnapshotAge"/>;
    /// reports <c>Degraded</c> (jobs still run, but claims slow down as dead rows pile up), never the failure status.
    /// </summary>
    public const string Snapshots = "queues.snapshots";

    /// <summary>The tag every Queues check carries.</summary>
    public const string Tag = "queues";

    /// <summary>
    /// Adds the Queues checks (<see cref="Database"/>, <see cref="Schema"/>, <see cref="Worker"/>, <see cref="Leader"/>,
    /// <see cref="Backlog"/>, <see cref="Unserved"/>, <see cref="Snapshots"/>) on the database and worker registered by <c>AddQueues</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Sets the thresholds, or null for the defaults.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddQueues(this IHealthChecksBuilder builder, Action<QueuesHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new QueuesHealthCheckOptions();
        configure?.Invoke(options);
        string[] tags = [Tag, .. options.Tags];
        foreach (var (name, kind) in new[]
                 {
                     (Database, QueuesHealthCheck.Kind.Database), (Schema, QueuesHealthCheck.Kind.Schema), (Worker, QueuesHealthCheck.Kind.Worker),
                     (Leader, QueuesHealthCheck.Kind.Leader), (Backlog, QueuesHealthCheck.Kind.Backlog), (Unserved, QueuesHealthCheck.Kind.Unserved),
                     (Snapshots, QueuesHealthCheck.Kind.Snapshots),
                 })
        {
            builder.Add(new HealthCheckRegistration(name, sp => new QueuesHealthCheck(kind, options, sp), options.FailureStatus, tags));
        }

        return builder;
    }
}
