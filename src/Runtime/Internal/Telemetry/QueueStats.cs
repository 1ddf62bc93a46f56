using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Queues.Internal.Telemetry;

/// <summary>One row of the statistics query: unfinished jobs of one queue in one state, and for available ones the age of the oldest.</summary>
internal sealed record QueueStat(string Queue, string State, long Count, double? OldestSeconds);

/// <summary>
/// The values behind the observable instruments <c>queues.job.count</c> and <c>queues.job.available.oldest_age</c>:
/// one snapshot per schema, refreshed by that schema's maintenance leader (one query every
/// <see cref="RefreshInterval"/> at most, and only while a listener observes them), so the whole fleet of workers runs
/// one statistics query per schema, and the values are reported once, not once per node. Observing only reads.
/// </summary>
internal static class QueueStats
{
    /// <summary>The shortest time between two statistics queries of one leader.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private static readonly string[] s_states = [.. JobStates.Unfinished.Select(JobStates.ToText)];
    private static readonly ConcurrentDictionary<string, Snapshot> s_snapshots = new(StringComparer.Ordinal);

    /// <summary>
    /// Publishes a leader's fresh rows for <paramref name="schema"/>. Every queue in <paramref name="served"/> (those the
    /// leader's worker is configured for or has handlers for) and every queue seen before reports, zeros when empty, so
    /// a healthy queue whose jobs finish between snapshots reads 0 rather than "no data".
    /// </summary>
    public static void Publish(string schema, string owner, IReadOnlyList<QueueStat> rows, IEnumerable<string>? served = null)
    {
        var known = s_snapshots.TryGetValue(schema, out var previous) ? previous.Queues : [];
        var queues = new SortedSet<string>(known, StringComparer.Ordinal);
        queues.UnionWith(served ?? []);
        foreach (var row in rows)
        {
            queues.Add(row.Queue);
        }

        s_snapshots[schema] = new Snapshot(owner, queues, rows);
    }

    /// <summary>Stops reporting <paramref name="schema"/> (its leader here stepped down or stopped).</summary>
    public static void Remove(string schema, string owner)
    {
        if (s_snapshots.TryGetValue(schema, out var snapshot) && snapshot.Owner == owner)
        {
            s_snapshots.TryRemove(new KeyValuePair<string, Snapshot>(schema, snapshot));
        }
    }

    public static IEnumerable<Measurement<long>> ObserveCounts()
    {
        foreach (var (schema, snapshot) in s_snapshots)
        {
            foreach (var queue in snapshot.Queues)
            {
                foreach (var state in s_states)
                {
                    long count = 0;
                    foreach (var row in snapshot.Rows)
                    {
                        if (row.Queue == queue && row.State == state)
                        {
                            count = row.Count;
                        }
                    }

                    yield return new Measurement<long>(count, new KeyValuePair<string, object?>(Tags.DestinationName, queue),
                        new KeyValuePair<string, object?>(Tags.JobState, state), new KeyValuePair<string, object?>(Tags.Schema, schema));
                }
            }
        }
    }

    public static IEnumerable<Measurement<double>> ObserveOldest()
    {
        foreach (var (schema, snapshot) in s_snapshots)
        {
            foreach (var queue in snapshot.Queues)
            {
                double oldest = 0;
                foreach (var row in snapshot.Rows)
                {
                    if (row.Queue == queue && row.State == "available" && row.OldestSeconds is { } seconds)
                    {
                        oldest = seconds;
                    }
                }

                yield return new Measurement<double>(oldest, new KeyValuePair<string, object?>(Tags.DestinationName, queue),
                    new KeyValuePair<string, object?>(Tags.Schema, schema));
            }
        }
    }

    private sealed record Snapshot(string Owner, SortedSet<string> Queues, IReadOnlyList<QueueStat> Rows);
}
