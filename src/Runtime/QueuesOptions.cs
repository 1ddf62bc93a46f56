using Microsoft.Extensions.Configuration;
using Queues.Internal;

namespace Queues;

/// <summary>
/// Settings of the Queues client and worker, configured in code through <c>services.AddQueues(o => ...)</c> or from a
/// configuration section through <c>services.AddQueues(configuration.GetSection("Queues"))</c>. Every setting but
/// <see cref="RetryDelay"/> (a delegate) can be bound from configuration; docs/configuration.md lists the keys.
/// </summary>
public sealed class QueuesOptions
{
    /// <summary>The configuration section these options were bound from, if any: validation messages name its keys.</summary>
    private IConfigurationSection? _section;

    /// <summary>The schema used when none is set: <c>queues</c>.</summary>
    public const string DefaultSchema = "queues";

    /// <summary>Jobs one queue runs at once when its concurrency is not set: 10.</summary>
    public const int DefaultConcurrency = 10;

    /// <summary>The default <see cref="Prefetch"/>: at most 500 jobs per queue, reached only by jobs much faster than a claim.</summary>
    public const int DefaultPrefetch = 500;

    /// <summary>How often an idle worker looks for due jobs when nothing wakes it: one second.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>The default <see cref="RescueAfter"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultRescueAfter = TimeSpan.FromSeconds(30);

    /// <summary>How long a stopping worker lets running jobs finish: 30 seconds.</summary>
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The PostgreSQL connection string. When null, an <c>NpgsqlDataSource</c> registered in the service collection is used.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The schema holding the jobs table. Defaults to <see cref="DefaultSchema"/>.</summary>
    public string Schema { get; set; } = DefaultSchema;

    /// <summary>Apply pending migrations when the worker starts. Off by default: migrate from your deployment instead.</summary>
    public bool MigrateOnStart { get; set; }

    /// <summary>Run the worker in this process. Set false in processes that only enqueue.</summary>
    public bool ProcessJobs { get; set; } = true;

    /// <summary>
    /// Concurrency per queue. The worker runs every queue named here and every queue a registered job uses; a queue not
    /// named here runs <see cref="DefaultConcurrency"/> jobs at once.
    /// </summary>
    public IDictionary<string, int> Queues { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>
    /// Use LISTEN/NOTIFY so an enqueue wakes idle workers at once (on by default). Off for poll-only operation, e.g.
    /// behind PgBouncer in transaction mode; workers then find jobs within <see cref="PollInterval"/>.
    /// </summary>
    public bool UseNotifications { get; set; } = true;

    /// <summary>
    /// Prepare the hot statements once per connection (on by default). Off behind a pooler that cannot keep prepared
    /// statements, such as PgBouncer before 1.21 in transaction mode.
    /// </summary>
    public bool PrepareStatements { get; set; } = true;

    /// <summary>How often a worker marks the jobs it runs as alive (one UPDATE for all of them): 5 seconds.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a running job may go without a heartbeat before any worker rescues it (retryable, or discarded when
    /// out of attempts): 30 seconds. Must exceed twice <see cref="HeartbeatInterval"/>.
    /// </summary>
    public TimeSpan RescueAfter { get; set; } = DefaultRescueAfter;

    /// <summary>
    /// How long completed and cancelled jobs are kept before the leader deletes them: 1 day. <see cref="TimeSpan.Zero"/>
    /// or less keeps them forever.
    /// </summary>
    public TimeSpan RetainCompletedFor { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long discarded jobs (the dead letters) are kept: 14 days. Zero or less keeps them forever.</summary>
    public TimeSpan RetainDiscardedFor { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How often an idle worker polls for due jobs. Defaults to <see cref="DefaultPollInterval"/>.</summary>
    public TimeSpan PollInterval { get; set; } = DefaultPollInterval;

    /// <summary>How long a stopping worker lets running jobs finish before cancelling them.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = DefaultShutdownTimeout;

    /// <summary>
    /// The delay before the next attempt after attempt <c>n</c> (1-based) failed. Defaults to <see cref="RetryPolicy.Exponential(int)"/>.
    /// </summary>
    public Func<int, TimeSpan> RetryDelay { get; set; } = RetryPolicy.Exponential;

    /// <summary>A name for this worker process, stored on the jobs it claims. Defaults to host name and process id.</summary>
    public string WorkerName { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>
    /// The most due jobs each queue's fetch loop may claim ahead of its free slots, so a queue with few slots still claims
    /// in batches (one statement for up to concurrency + prefetch jobs). Within this bound the loop holds what its slots
    /// get through in a few claim round trips at the jobs' measured duration: fast jobs are claimed many at a time, slow
    /// ones hardly ahead at all, so they do not wait behind this worker's busy slots while another worker is idle.
    /// Claimed-ahead jobs are held by this worker and heartbeated; their timeout starts when they start, and a clean stop
    /// puts them back without using an attempt. 0 claims only for free slots. Defaults to <see cref="DefaultPrefetch"/>.
    /// </summary>
    public int Prefetch { get; set; } = DefaultPrefetch;

    /// <summary>
    /// Fail at start when the bound configuration section holds a key that is not an option (a typo such as
    /// <c>Queues__ShutdownTimout</c>). Off by default: such keys are ignored and logged as a warning
    /// (<see cref="QueuesEventId.UnknownConfigurationKey"/>) when the worker starts.
    /// </summary>
    public bool FailOnUnknownKeys { get; set; }

    /// <summary>
    /// The keys a configuration section may hold, one per bindable option (<see cref="RetryDelay"/> is a delegate, set in
    /// code). A test holds this list equal to the public settable properties.
    /// </summary>
    internal static readonly string[] ConfigurationKeys =
    [
        nameof(ConnectionString), nameof(Schema), nameof(MigrateOnStart), nameof(ProcessJobs), nameof(Queues), nameof(UseNotifications),
        nameof(PrepareStatements), nameof(HeartbeatInterval), nameof(RescueAfter), nameof(RetainCompletedFor), nameof(RetainDiscardedFor),
        nameof(PollInterval), nameof(ShutdownTimeout), nameof(WorkerName), nameof(Prefetch), nameof(FailOnUnknownKeys),
    ];

    /// <summary>The path of the configuration section these options were bound from (<c>Queues</c>), or null.</summary>
    internal string? SectionPath => _section?.Path;

    /// <summary>
    /// The keys of the bound section that are not options, each with what it was probably meant to be: the full key
    /// (<c>Queues:ShutdownTimout</c>) and a sentence. Empty when the options were not bound from configuration.
    /// </summary>
    internal IReadOnlyList<(string Key, string Problem)> UnknownKeys()
    {
        if (_section is null)
        {
            return [];
        }

        var unknown = new List<(string, string)>();
        foreach (var child in _section.GetChildren())
        {
            if (ConfigurationKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            var problem = string.Equals(child.Key, nameof(RetryDelay), StringComparison.OrdinalIgnoreCase)
                ? $"{child.Path} cannot be configured: RetryDelay is a function; set QueuesOptions.RetryDelay in code"
                : Internal.Validate.Closest(child.Key, ConfigurationKeys) is { } meant
                    ? $"{child.Path} is not a Queues option (did you mean {_section.Path}:{meant}?)"
                    : $"{child.Path} is not a Queues option (the options are {string.Join(", ", ConfigurationKeys)})";
            unknown.Add((child.Path, problem));
        }

        return unknown;
    }

    /// <summary>
    /// Checks every setting and throws with a message that names the first bad one: as <c>QueuesOptions.Name</c>, or by
    /// its configuration key (<c>Queues:Name</c>) when the options were bound from a section that sets it.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public void Validate()
    {
        if (FailOnUnknownKeys && UnknownKeys() is { Count: > 0 } unknown)
        {
            throw new ArgumentException(
                $"{string.Join("; ", unknown.Select(static u => u.Problem))}. Remove or correct the key, or set {Key(nameof(FailOnUnknownKeys))} to false to only warn.",
                unknown[0].Key);
        }

        Internal.Validate.SchemaName(Schema, Key(nameof(Schema)));
        Internal.Validate.Positive(PollInterval, Key(nameof(PollInterval)));
        if (ShutdownTimeout < TimeSpan.Zero)
        {
            var key = Key(nameof(ShutdownTimeout));
            throw new ArgumentOutOfRangeException(key, ShutdownTimeout, $"{key} must not be negative.");
        }

        Internal.Validate.Positive(HeartbeatInterval, Key(nameof(HeartbeatInterval)));
        if (RescueAfter <= 2 * HeartbeatInterval)
        {
            var key = Key(nameof(RescueAfter));
            throw new ArgumentOutOfRangeException(key, RescueAfter,
                $"{key} ({RescueAfter}) must exceed twice {Key(nameof(HeartbeatInterval))} ({HeartbeatInterval}), or live jobs would be rescued.");
        }

        if (RetryDelay is null)
        {
            throw new ArgumentException("QueuesOptions.RetryDelay must not be null.", "QueuesOptions.RetryDelay");
        }

        if (string.IsNullOrWhiteSpace(WorkerName))
        {
            var key = Key(nameof(WorkerName));
            throw new ArgumentException($"{key} must not be blank.", key);
        }

        if (Prefetch is < 0 or > 10_000)
        {
            var key = Key(nameof(Prefetch));
            throw new ArgumentOutOfRangeException(key, Prefetch, $"{key} must be between 0 and 10000; it was {Prefetch}.");
        }

        foreach (var (queue, concurrency) in Queues)
        {
            Internal.Validate.QueueName(queue, $"{Key(nameof(Queues))} key");
            if (concurrency < 1)
            {
                var key = _section is not null && _section.GetSection(nameof(Queues)).GetSection(queue).Value is not null
                    ? $"{_section.Path}:{nameof(Queues)}:{queue}"
                    : $"QueuesOptions.Queues[\"{queue}\"]";
                throw new ArgumentOutOfRangeException(Key(nameof(Queues)), concurrency, $"{key} must be at least 1; it was {concurrency}.");
            }
        }
    }

    /// <summary>
    /// While a worker loop keeps failing, at most one summary line per this (<see cref="QueuesEventId.OutageContinues"/>).
    /// Internal: tests shorten it.
    /// </summary>
    internal TimeSpan OutageSummaryInterval { get; set; } = Internal.Outage.DefaultSummaryInterval;

    /// <summary>Remembers the section this instance was bound from, so validation messages name the configuration key.</summary>
    internal void BoundFrom(IConfigurationSection section) => _section = section;

    /// <summary>
    /// How a message names an option: its configuration key (<c>Queues:HeartbeatInterval</c>) when the value came from
    /// the bound section, else <c>QueuesOptions.HeartbeatInterval</c>.
    /// </summary>
    private string Key(string option)
        => _section is not null && _section.GetSection(option).Exists()
            ? $"{_section.Path}:{option}"
            : $"QueuesOptions.{option}";
}

/// <summary>Built-in retry delays.</summary>
public static class RetryPolicy
{
    /// <summary>The longest delay <see cref="Exponential(int)"/> returns: one day.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(1);

    /// <summary>
    /// <c>attempt⁴</c> seconds plus up to 10% random jitter, capped at <see cref="MaxDelay"/>: 1 s, 16 s, 81 s, 4 min, 10 min…
    /// The jitter keeps jobs that failed together from retrying together.
    /// </summary>
    /// <param name="attempt">The attempt that just failed, starting at 1.</param>
    public static TimeSpan Exponential(int attempt) => Exponential(attempt, TimeSpan.FromSeconds(1));

    /// <summary><c>baseDelay × attempt⁴</c> plus up to 10% random jitter, capped at <see cref="MaxDelay"/>.</summary>
    /// <param name="attempt">The attempt that just failed, starting at 1.</param>
    /// <param name="baseDelay">The delay after the first attempt.</param>
    public static TimeSpan Exponential(int attempt, TimeSpan baseDelay)
    {
        var seconds = baseDelay.TotalSeconds * Math.Pow(Math.Max(attempt, 1), 4);
        seconds += seconds * 0.1 * Random.Shared.NextDouble();
        return seconds >= MaxDelay.TotalSeconds ? MaxDelay : TimeSpan.FromSeconds(seconds);
    }
}
