using Microsoft.Extensions.Logging;
using Npgsql;

namespace Queues.Internal;

/// <summary>
/// One LISTEN connection per worker process: a NOTIFY from an enqueuing transaction wakes the processor of that queue.
/// Only a latency shortcut; processors poll anyway. Reconnects with backoff and wakes every processor after a gap,
/// since notifications sent meanwhile were lost.
/// </summary>
internal sealed class Notifier
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);
    private readonly QueuesClient _client;
    private readonly Action<string?> _wake;
    private readonly ILogger _logger;

    public Notifier(QueuesClient client, Action<string?> wake, ILogger logger)
    {
        _client = client;
        _wake = wake;
        _logger = logger;
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var connection = await _client.DataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    connection.Notification += (_, e) => _wake(e.Payload);
                    using (var listen = new NpgsqlCommand(_client.Sql.Listen, connection))
                    {
                        await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                    }

                    if (failures > 0)
                    {
                        _wake(null);
                    }

                    failures = 0;
                    while (true)
                    {
                        // A quiet connection is probed now and then, so a half-open one is noticed and replaced.
                        if (!await connection.WaitAsync(KeepAlive, stoppingToken).ConfigureAwait(false))
                        {
                            using var probe = new NpgsqlCommand("SELECT 1", connection);
                            await probe.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                var delay = Backoff.Delay(++failures);
                LogMessages.LoopError(_logger, exception, "listen", (long)delay.TotalMilliseconds);
                await Backoff.WaitAsync(delay, stoppingToken).ConfigureAwait(false);
            }
        }
    }
}
