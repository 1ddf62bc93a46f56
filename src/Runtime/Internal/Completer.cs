using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Queues.Internal;

/// <summary>
/// Writes completions in batches: one <c>UPDATE … FROM unnest(ids, attempts)</c> per flush, guarded by state and
/// attempt. Completions that arrive while a flush is running go into the next one, so under load batches grow by
/// themselves and an idle worker still completes a single job at once. A failed flush is retried with backoff. A job
/// stays in <see cref="RunningJobs"/> (and keeps being heartbeated) until its completion is written, so a flush delayed
/// by an outage does not make a finished job look abandoned.
/// </summary>
internal sealed class Completer
{
    private const int MaxBatch = 5_000;
    private const int MaxFlushAttempts = 12;
    private const int GatherTarget = 500;
    private static readonly TimeSpan GatherDelay = TimeSpan.FromMilliseconds(2);
    private readonly Channel<(long Id, short Attempt)> _channel =
        Channel.CreateUnbounded<(long Id, short Attempt)>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly QueuesClient _client;
    private readonly RunningJobs _runningJobs;
    private readonly ILogger _logger;

    public Completer(QueuesClient client, RunningJobs runningJobs, ILogger logger)
    {
        _client = client;
        _runningJobs = runningJobs;
        _logger = logger;
    }

    public void Complete(long id, short attempt) => _channel.Writer.TryWrite((id, attempt));

    /// <summary>No more completions will come: <see cref="RunAsync"/> flushes what it has and returns.</summary>
    public void Close() => _channel.Writer.TryComplete();

    public async Task RunAsync()
    {
        var reader = _channel.Reader;
        var ids = new List<long>(256);
        var attempts = new List<short>(256);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Under load, let a few more completions arrive: one UPDATE of a hundred rows costs PostgreSQL far less
            // than a hundred UPDATEs of one. An idle worker pays 2 ms before its completion is written.
            if (reader.CanCount && reader.Count < GatherTarget)
            {
                await Task.Delay(GatherDelay).ConfigureAwait(false);
            }

            while (ids.Count < MaxBatch && reader.TryRead(out var item))
            {
                ids.Add(item.Id);
                attempts.Add(item.Attempt);
            }

            await FlushAsync(ids, attempts).ConfigureAwait(false);
            for (var i = 0; i < ids.Count; i++)
            {
                _runningJobs.Remove(ids[i], attempts[i]);
            }

            ids.Clear();
            attempts.Clear();
        }
    }

    private async Task FlushAsync(List<long> ids, List<short> attempts)
    {
        var idArray = ids.ToArray();
        var attemptArray = attempts.ToArray();
        Array.Sort(idArray, attemptArray); // Lock rows in id order, as the heartbeat does.
        for (var failures = 0; ; failures++)
        {
            try
            {
                var connection = await _client.DataSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
                await using var connectionScope = connection.ConfigureAwait(false);
                using var command = new NpgsqlCommand(_client.Sql.CompleteMany, connection);
                command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = idArray });
                command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = attemptArray });
                if (_client.PrepareStatements)
                {
                    await command.PrepareAsync(CancellationToken.None).ConfigureAwait(false);
                }

                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (failures < MaxFlushAttempts)
            {
                var delay = Backoff.Delay(failures + 1);
                LogMessages.LoopError(_logger, exception, $"complete {idArray.Length} jobs", (long)delay.TotalMilliseconds);
                await Task.Delay(delay).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // Given up: the rows stay running and are rescued like a crashed worker's; the handlers ran once.
                LogMessages.LoopError(_logger, exception, $"complete {idArray.Length} jobs (giving up)", 0);
                return;
            }
        }
    }
}
