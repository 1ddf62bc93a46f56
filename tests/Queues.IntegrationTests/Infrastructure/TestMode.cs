using Npgsql;

namespace Queues.IntegrationTests.Infrastructure;

/// <summary>
/// The mode the suite runs in. tests/Queues.IntegrationTests runs the defaults: LISTEN/NOTIFY and prepared statements.
/// tests/Queues.PollOnlyTests compiles these same sources with <c>POLL_ONLY</c> defined: then every worker and every
/// enqueuing client the tests create polls only and keeps no session state (no LISTEN, no NOTIFY, no prepared
/// statements), as behind PgBouncer in transaction mode. <see cref="PollOnlyModeTests"/> checks that the mode took.
/// </summary>
public static class TestMode
{
    /// <summary>True in the poll-only build. A property, not a const, so tests can branch on it without dead code.</summary>
#if POLL_ONLY
    public static bool PollOnly { get; } = true;
#else
    public static bool PollOnly { get; } = false;
#endif

    /// <summary>
    /// Applies the mode to a worker's options. Call it first, before the test's own configuration, so a test can still
    /// override a setting.
    /// </summary>
    public static void Apply(QueuesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
#if POLL_ONLY
        options.UseNotifications = false;
        options.PrepareStatements = false;
#endif
    }

    /// <summary>A client for <paramref name="schema"/> in this mode: the one every test enqueues and reads through.</summary>
    public static QueuesClient CreateClient(NpgsqlDataSource dataSource, string schema)
        => new(dataSource, schema) { UseNotifications = !PollOnly, PrepareStatements = !PollOnly };
}
