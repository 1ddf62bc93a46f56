using System.Text.RegularExpressions;

namespace Queues.ReliabilityTests.Infrastructure;

/// <summary>A handler run recorded at an attempt other than the one that completed the job: it ran, but its completion was lost.</summary>
public sealed record ExtraRun(long JobId, int Attempt, int Pid, string Worker, DateTime StartedAt, DateTime FinishedAt);

/// <summary>A rescue recorded in a job's error history: the worker that stopped heartbeating, and when.</summary>
public sealed record Rescue(long JobId, int Attempt, string? Worker, DateTime RescuedAt);

/// <summary>
/// What happened to the <c>rel.work</c> jobs of a schema, read from the jobs table and the <c>runs</c> rows the handlers
/// wrote. The facts the reliability tests assert: nothing lost, no attempt run twice, no two runs of a job at once.
/// </summary>
public sealed partial record RunAudit(
    long Jobs,
    Dictionary<string, long> States,
    long SequencesRun,
    long Runs,
    long AttemptsRunTwice,
    long OverlappingRuns,
    long CompletedWithoutRun,
    long Reattempted,
    Dictionary<string, long> ErrorKinds,
    IReadOnlyList<ExtraRun> ExtraRuns,
    IReadOnlyList<Rescue> Rescues,
    string TwiceExamples)
{
    public static async Task<RunAudit> ReadAsync(ReliabilitySchema schema)
    {
        const string work = "name = 'rel.work'";
        var states = await DictionaryAsync(schema, $"SELECT state, count(*) FROM {{jobs}} WHERE {work} GROUP BY state");
        var errorKinds = await DictionaryAsync(schema,
            $"SELECT e->>'kind', count(*) FROM {{jobs}}, jsonb_array_elements(errors) AS e WHERE {work} GROUP BY 1");

        var extraRuns = new List<ExtraRun>();
        await using (var command = schema.Command($$"""
            SELECT r.job_id, r.attempt, r.pid, r.worker, r.started_at, r.finished_at
            FROM {runs} r JOIN {jobs} j ON j.id = r.job_id
            WHERE r.attempt <> j.attempt
            ORDER BY r.finished_at
            """))
        await using (var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                extraRuns.Add(new ExtraRun(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3),
                    reader.GetDateTime(4), reader.GetDateTime(5)));
            }
        }

        var rescues = new List<Rescue>();
        await using (var command = schema.Command($$"""
            SELECT j.id, (e->>'attempt')::int, e->>'message', (e->>'at')::timestamptz
            FROM {jobs} j, jsonb_array_elements(j.errors) AS e
            WHERE j.{{work}} AND e->>'kind' = 'rescued'
            """))
        await using (var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                var worker = RescuedWorker().Match(reader.GetString(2));
                rescues.Add(new Rescue(reader.GetInt64(0), reader.GetInt32(1), worker.Success ? worker.Groups[1].Value : null,
                    reader.GetDateTime(3)));
            }
        }

        return new RunAudit(
            Jobs: await schema.ScalarAsync<long>($"SELECT count(*) FROM {{jobs}} WHERE {work}"),
            States: states,
            SequencesRun: await schema.ScalarAsync<long>("SELECT count(DISTINCT sequence) FROM {runs}"),
            Runs: await schema.ScalarAsync<long>("SELECT count(*) FROM {runs}"),
            AttemptsRunTwice: await schema.ScalarAsync<long>(
                "SELECT count(*) FROM (SELECT 1 FROM {runs} GROUP BY job_id, attempt HAVING count(*) > 1) AS twice"),
            OverlappingRuns: await schema.ScalarAsync<long>("""
                SELECT count(*) FROM {runs} a JOIN {runs} b
                  ON a.job_id = b.job_id AND a.attempt < b.attempt AND b.started_at < a.finished_at
                """),
            CompletedWithoutRun: await schema.ScalarAsync<long>($$"""
                SELECT count(*) FROM {jobs} j
                WHERE j.{{work}} AND j.state = 'completed'
                  AND NOT EXISTS (SELECT 1 FROM {runs} r WHERE r.job_id = j.id AND r.attempt = j.attempt)
                """),
            Reattempted: await schema.ScalarAsync<long>($"SELECT count(*) FROM {{jobs}} WHERE {work} AND attempt > 1"),
            ErrorKinds: errorKinds,
            ExtraRuns: extraRuns,
            Rescues: rescues,
            TwiceExamples: await schema.ScalarAsync<string>($$"""
                SELECT coalesce(string_agg(x, E'\n'), '') FROM (
                    SELECT 'job ' || r.job_id || ' attempt ' || r.attempt || ': runs ' || string_agg(r.worker || ' pid ' || r.pid || ' '
                        || r.started_at::time || '-' || r.finished_at::time, '; ' ORDER BY r.started_at)
                        || '; now ' || min(j.state) || ' at attempt ' || min(j.attempt) || ', errors ' || min(j.errors::text) AS x
                    FROM {runs} r JOIN {jobs} j ON j.id = r.job_id
                    GROUP BY r.job_id, r.attempt HAVING count(*) > 1
                    ORDER BY r.job_id LIMIT 5) AS t
                """));
    }

    public long State(string state) => States.GetValueOrDefault(state);

    /// <summary>The common assertions: all <paramref name="expected"/> jobs completed, each ran to completion once at its final attempt.</summary>
    public void AssertNothingLost(int expected, string context)
    {
        Assert.True(Jobs == expected, $"{Jobs} rel.work jobs in the table, {expected} enqueued. {context}");
        Assert.True(State("completed") == expected, $"Not every job completed: {Describe(States)}. {context}");
        Assert.True(SequencesRun == expected, $"{SequencesRun} distinct sequence numbers ran, {expected} enqueued: jobs were lost. {context}");
        Assert.True(CompletedWithoutRun == 0, $"{CompletedWithoutRun} jobs completed at an attempt whose handler never finished. {context}");
        Assert.True(AttemptsRunTwice == 0, $"{AttemptsRunTwice} (job, attempt) pairs ran twice: two workers ran the same attempt. {context}\n{TwiceExamples}");
        Assert.True(OverlappingRuns == 0, $"{OverlappingRuns} pairs of runs of one job overlapped in time. {context}");
    }

    public static string Describe(Dictionary<string, long> counts)
        => counts.Count == 0 ? "none" : string.Join(", ", counts.OrderBy(static p => p.Key, StringComparer.Ordinal).Select(static p => $"{p.Key}={p.Value}"));

    private static async Task<Dictionary<string, long>> DictionaryAsync(ReliabilitySchema schema, string sql)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var command = schema.Command(sql);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            result[reader.IsDBNull(0) ? "(null)" : reader.GetString(0)] = reader.GetInt64(1);
        }

        return result;
    }

    /// <summary>The runtime's rescue message: "worker {name} stopped heartbeating while running this job …".</summary>
    [GeneratedRegex(@"worker (\S+) stopped heartbeating")]
    private static partial Regex RescuedWorker();
}
