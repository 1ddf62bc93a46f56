using System.Text.Json;
using Queues.Dashboard.Tests.Infrastructure;

namespace Queues.Cli.Tests;

public sealed class CliTests(PostgresFixture fixture)
{
    private static readonly JobDefinition Report = new("cli.report", "reports", maxAttempts: 3);
    private static readonly JobDefinition Charge = new("cli.charge", "payments", maxAttempts: 1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<ToolResult> RunAsync(TestSchema schema, params string[] args)
        => QueuesTool.RunAsync([.. args, "--connection", fixture.ConnectionString, "--schema", schema.Name]);

    [Fact]
    public async Task Migrate_CreatesTheSchemaThenFindsNothingToDo()
    {
        await using var schema = await fixture.CreateSchemaAsync(migrate: false);

        var first = (await RunAsync(schema, "migrate")).ShouldSucceed();
        Assert.Contains($"Applied {QueuesAdmin.LatestSchemaVersion} migration(s)", first.Output, StringComparison.Ordinal);
        Assert.Equal(QueuesAdmin.LatestSchemaVersion, await schema.Admin.GetSchemaVersionAsync(Ct));
        var again = JsonDocument.Parse((await RunAsync(schema, "migrate", "--json")).ShouldSucceed().Output).RootElement;
        Assert.Equal(0, again.GetProperty("applied").GetInt32());
        Assert.Equal(QueuesAdmin.LatestSchemaVersion, again.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task MigrateScript_PrintsSqlADbaCanRun_WithoutTouchingTheDatabase()
    {
        await using var schema = await fixture.CreateSchemaAsync(migrate: false);

        var script = (await RunAsync(schema, "migrate", "--script")).ShouldSucceed().Output;
        Assert.Equal(0, await schema.Admin.GetSchemaVersionAsync(Ct));
        Assert.StartsWith($"-- Queues: schema \"{schema.Name}\" from version 0", script, StringComparison.Ordinal);

        await using (var command = fixture.DataSource.CreateCommand(script))
        {
            await command.ExecuteNonQueryAsync(Ct);
        }

        Assert.Equal(QueuesAdmin.LatestSchemaVersion, await schema.Admin.GetSchemaVersionAsync(Ct));
        Assert.Contains($"is up to date (version {QueuesAdmin.LatestSchemaVersion})", (await RunAsync(schema, "migrate")).ShouldSucceed().Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateRollback_UndoesMigrationsDownToAVersion_AndMigrateRedoesThem()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.Admin.PauseQueueAsync("reports", force: true, Ct);

        var result = (await RunAsync(schema, "migrate", "rollback", "--to", "4")).ShouldSucceed();
        Assert.Contains($"Rolled back {QueuesAdmin.LatestSchemaVersion - 4} migration(s)", result.Output, StringComparison.Ordinal);
        Assert.Equal(4, await schema.Admin.GetSchemaVersionAsync(Ct));
        Assert.False(await schema.ScalarAsync<bool>("SELECT to_regclass('{s}.paused_queues') IS NOT NULL"));

        (await RunAsync(schema, "migrate")).ShouldSucceed();
        Assert.Equal(QueuesAdmin.LatestSchemaVersion, await schema.Admin.GetSchemaVersionAsync(Ct));
        Assert.Empty(await schema.Admin.GetPausedQueuesAsync(Ct));

        (await RunAsync(schema, "migrate", "rollback", "--to", "0")).ShouldSucceed();
        Assert.False(await schema.ScalarAsync<bool>("SELECT to_regclass('{s}.jobs') IS NOT NULL"));
        Assert.Equal(2, (await RunAsync(schema, "migrate", "rollback", "--to", "99")).ExitCode);
        Assert.Equal(2, (await RunAsync(schema, "migrate", "rollback")).ExitCode);
    }

    [Fact]
    public async Task Status_ShowsQueuesStatesOldestWaitingLeaderAndNodes()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var oldest = await schema.EnqueueAsync(Report);
        await schema.EnqueueAsync(Report);
        await schema.SetFinishedAsync(await schema.EnqueueAsync(Charge), "discarded");
        await schema.ScalarAsync<int>("WITH i AS (INSERT INTO {s}.leader VALUES ('maintenance', 'node-7', now() + interval '1 minute') RETURNING 1) SELECT count(*)::int FROM i");
        await schema.Admin.PauseQueueAsync("reports", Ct);

        var table = (await RunAsync(schema, "status")).ShouldSucceed().Output;
        Assert.Matches(@"reports\s+2\s+0\s+0\s+0\s+\d+s\s+yes", table);
        Assert.Matches(@"discarded\s+1", table);
        Assert.Contains($"Oldest waiting: job {oldest} (cli.report, queue reports)", table, StringComparison.Ordinal);
        Assert.Contains("Leader: node-7", table, StringComparison.Ordinal);

        var json = JsonDocument.Parse((await RunAsync(schema, "status", "--json")).ShouldSucceed().Output).RootElement;
        var queue = Assert.Single(json.GetProperty("queues").EnumerateArray());
        Assert.Equal(2, queue.GetProperty("available").GetInt64());
        Assert.True(queue.GetProperty("paused").GetBoolean());
        Assert.Equal("node-7", json.GetProperty("leader").GetString());
        Assert.Equal(oldest.Value, json.GetProperty("oldestWaiting").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task List_FiltersAndPagesAsTableAndJson()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var reports = new List<JobId>();
        for (var i = 0; i < 5; i++)
        {
            reports.Add(await schema.EnqueueAsync(Report));
        }

        var charge = await schema.EnqueueAsync(Charge);
        await schema.SetFinishedAsync(charge, "discarded", "card declined");

        var first = JsonDocument.Parse((await RunAsync(schema, "list", "--name", "cli.report", "--limit", "3", "--json")).ShouldSucceed().Output).RootElement;
        var next = first.GetProperty("next").GetInt64();
        var second = JsonDocument.Parse((await RunAsync(schema, "list", "--name", "cli.report", "--limit", "3", "--before", next.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"))
            .ShouldSucceed().Output).RootElement;
        Assert.Equal(reports.Select(static r => r.Value).OrderDescending(),
            first.GetProperty("jobs").EnumerateArray().Concat(second.GetProperty("jobs").EnumerateArray()).Select(static j => j.GetProperty("id").GetInt64()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);

        var table = (await RunAsync(schema, "list", "--state", "discarded", "--queue", "payments", "--from", "1h")).ShouldSucceed().Output;
        Assert.Matches($@"(?m)^{charge}\s+cli\.charge\s+payments\s+discarded\s+1/1\s.*card declined", table);
        Assert.DoesNotContain("cli.report", table, StringComparison.Ordinal);
        var bad = await RunAsync(schema, "list", "--state", "exploded");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("Unknown state 'exploded'", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_PrintsPayloadAndEveryFailedAttempt()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = await schema.EnqueueAsync(Charge, """{"invoice":"INV-7","amount":12.5}""");
        await schema.SetFinishedAsync(id, "discarded", "card declined");

        var shown = (await RunAsync(schema, "show", id.ToString())).ShouldSucceed().Output;
        Assert.Contains($"Job {id}: cli.charge", shown, StringComparison.Ordinal);
        Assert.Contains("\"invoice\": \"INV-7\"", shown, StringComparison.Ordinal);
        Assert.Contains("- attempt 1 at ", shown, StringComparison.Ordinal);
        Assert.Contains("card declined", shown, StringComparison.Ordinal);
        Assert.Contains("at Demo.Run()", shown, StringComparison.Ordinal);

        var json = JsonDocument.Parse((await RunAsync(schema, "show", id.ToString(), "--json")).ShouldSucceed().Output).RootElement;
        Assert.Equal("INV-7", json.GetProperty("payload").GetProperty("invoice").GetString());
        Assert.Equal("card declined", Assert.Single(json.GetProperty("errors").EnumerateArray()).GetProperty("message").GetString());

        var missing = await RunAsync(schema, "show", "987654");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("There is no job 987654.", missing.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await RunAsync(schema, "show", "abc")).ExitCode);
    }

    [Fact]
    public async Task ListAndShow_EscapeTerminalControlCharactersFromTheDatabase_AndShowPayloadsReadably()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = await schema.EnqueueAsync(Charge, """{"note":"say \"hi\"","city":"Zürich","bell":"\u0007"}""");
        await schema.SetFinishedAsync(id, "discarded", "\u001b[2J\u001b]0;pwned\u0007card\rdeclined \u202Egnp.exe");
        await schema.ScalarAsync<int>("WITH u AS (UPDATE {s}.jobs SET name = $1 WHERE id = $2 RETURNING 1) SELECT count(*)::int FROM u", "cli.\u001b[31mred\u009b", id.Value);

        var listed = (await RunAsync(schema, "list")).ShouldSucceed();
        var shown = (await RunAsync(schema, "show", id.ToString())).ShouldSucceed();
        foreach (var output in (string[])[listed.Output, shown.Output])
        {
            Assert.DoesNotContain(output, static c => c is '\u001b' or '\u0007' or '\u009b' or '\u202E');
            Assert.Contains("cli.\\x1B[31mred\\x9B", output, StringComparison.Ordinal);
            Assert.Contains("\\x1B[2J", output, StringComparison.Ordinal);
        }

        Assert.Contains("card\\x0Ddeclined \\u202Egnp.exe", shown.Output, StringComparison.Ordinal);
        // The payload reads as JSON a person wrote: quotes and accents as such, the bell as a JSON escape.
        Assert.Contains("\"note\": \"say \\\"hi\\\"\"", shown.Output, StringComparison.Ordinal);
        Assert.Contains("\"city\": \"Zürich\"", shown.Output, StringComparison.Ordinal);
        Assert.Contains("\"bell\": \"\\u0007\"", shown.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_ById_AndEveryDiscardedJobOfAQueueWithProgress()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var payments = new List<JobId>();
        for (var i = 0; i < 4; i++)
        {
            var id = await schema.EnqueueAsync(Charge);
            await schema.SetFinishedAsync(id, "discarded");
            payments.Add(id);
        }

        var other = await schema.EnqueueAsync(Report);
        await schema.SetFinishedAsync(other, "discarded");

        Assert.Contains($"Job {payments[0]} is available again.", (await RunAsync(schema, "retry", payments[0].ToString())).ShouldSucceed().Output, StringComparison.Ordinal);
        var again = await RunAsync(schema, "retry", payments[0].ToString());
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("is available: only a discarded or cancelled job can be retried", again.Error, StringComparison.Ordinal);

        var bulk = (await RunAsync(schema, "retry", "--discarded", "--queue", "payments", "--yes")).ShouldSucceed();
        Assert.Contains("Retry 3 discarded job(s) in queue 'payments'?", bulk.Error, StringComparison.Ordinal);
        Assert.Contains("Retried 3 discarded job(s).", bulk.Output, StringComparison.Ordinal);
        Assert.Contains("Retried 3 jobs...", bulk.Error, StringComparison.Ordinal);
        Assert.Equal(JobState.Discarded, (await schema.Client.GetJobAsync(other, Ct))!.State);
        Assert.Equal(2, (await RunAsync(schema, "retry")).ExitCode);
        Assert.Equal(2, (await RunAsync(schema, "retry", "5", "--discarded")).ExitCode);
    }

    [Fact]
    public async Task Cancel_StopsAnUnfinishedJob_AndFailsOnAFinishedOne()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = await schema.EnqueueAsync(Report, options: new EnqueueOptions { Delay = TimeSpan.FromHours(1) });

        (await RunAsync(schema, "cancel", id.ToString(), "--reason", "duplicate order")).ShouldSucceed();
        var job = (await schema.Client.GetJobAsync(id, Ct))!;
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.StartsWith("duplicate order (by ", Assert.Single(job.Errors).Message, StringComparison.Ordinal);
        var again = await RunAsync(schema, "cancel", id.ToString());
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already finished", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_DeletesFinishedJobsPastTheAgeInBatchesWithProgress()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.ScalarAsync<int>(
            "WITH i AS (INSERT INTO {s}.jobs (name, state, finalized_at) SELECT 'cli.report', 'completed', now() - interval '10 days' FROM generate_series(1, 25000) RETURNING 1) SELECT count(*)::int FROM i");
        var recent = await schema.EnqueueAsync(Report);
        await schema.SetFinishedAsync(recent, "completed");
        var waiting = await schema.EnqueueAsync(Report);

        var result = (await RunAsync(schema, "purge", "--older-than", "7d", "--yes")).ShouldSucceed();
        Assert.Contains("Delete 25,000 finished job(s) older than 7d?", result.Error, StringComparison.Ordinal);
        Assert.Contains("Deleted 25,000 finished job(s) older than 7d.", result.Output, StringComparison.Ordinal);
        Assert.Contains("Deleted ", result.Error, StringComparison.Ordinal);
        Assert.Equal(2, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs"));
        Assert.NotNull(await schema.Client.GetJobAsync(recent, Ct));
        Assert.NotNull(await schema.Client.GetJobAsync(waiting, Ct));

        var bad = await RunAsync(schema, "purge", "--older-than", "soon");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("is not a duration", bad.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await RunAsync(schema, "purge")).ExitCode);
    }

    [Fact]
    public async Task BulkCommands_StateTheCount_AndWithoutATerminalActOnlyWithYes()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        for (var i = 0; i < 3; i++)
        {
            await schema.SetFinishedAsync(await schema.EnqueueAsync(Charge), "discarded");
        }

        await schema.ScalarAsync<int>(
            "WITH i AS (INSERT INTO {s}.jobs (name, state, finalized_at) SELECT 'cli.report', 'completed', now() - interval '10 days' FROM generate_series(1, 5) RETURNING 1) SELECT count(*)::int FROM i");

        var retry = await RunAsync(schema, "retry", "--discarded");
        Assert.Equal(2, retry.ExitCode);
        Assert.Contains("Retry 3 discarded job(s)?", retry.Error, StringComparison.Ordinal);
        Assert.Contains("--yes", retry.Error, StringComparison.Ordinal);
        var purge = await RunAsync(schema, "purge", "--older-than", "7d", "--json");
        Assert.Equal(2, purge.ExitCode);
        Assert.Contains("Delete 5 finished job(s) older than 7d?", purge.Error, StringComparison.Ordinal);
        Assert.Equal("", purge.Output);
        var inCi = await QueuesTool.RunAsync(["purge", "--older-than", "7d", "--connection", fixture.ConnectionString, "--schema", schema.Name],
            environment: new Dictionary<string, string?> { ["CI"] = "true" });
        Assert.Equal(2, inCi.ExitCode);
        Assert.Equal(3, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs WHERE state = 'discarded'"));
        Assert.Equal(5, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs WHERE state = 'completed'"));

        Assert.Contains("Retried 3 discarded job(s).", (await RunAsync(schema, "retry", "--discarded", "-y")).ShouldSucceed().Output, StringComparison.Ordinal);
        var purged = JsonDocument.Parse((await RunAsync(schema, "purge", "--older-than", "7d", "--yes", "--json")).ShouldSucceed().Output).RootElement;
        Assert.Equal(5, purged.GetProperty("count").GetInt64());

        // Nothing to do asks nothing.
        var nothing = (await RunAsync(schema, "purge", "--older-than", "7d")).ShouldSucceed();
        Assert.Contains("Delete 0 finished job(s) older than 7d?", nothing.Error, StringComparison.Ordinal);
        Assert.Contains("Deleted 0 finished job(s)", nothing.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PauseAndResume_ActOnEveryNode()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.EnqueueAsync(Report);

        Assert.Contains("Queue 'reports' is paused.", (await RunAsync(schema, "pause", "reports")).ShouldSucceed().Output, StringComparison.Ordinal);
        Assert.Equal(["reports"], await schema.Admin.GetPausedQueuesAsync(Ct));
        Assert.Contains("was already paused", (await RunAsync(schema, "pause", "reports")).ShouldSucceed().Output, StringComparison.Ordinal);
        var resumed = JsonDocument.Parse((await RunAsync(schema, "resume", "reports", "--json")).ShouldSucceed().Output).RootElement;
        Assert.Equal(1, resumed.GetProperty("count").GetInt64());
        Assert.Empty(await schema.Admin.GetPausedQueuesAsync(Ct));
    }

    [Fact]
    public async Task Failures_GroupsByReasonWithExactCounts_AndListFiltersByFinishTime()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.InsertFailureBurstAsync();

        var table = (await RunAsync(schema, "failures", "--since", "15m")).ShouldSucceed().Output;
        Assert.Matches(@"(?m)^1,850\s+1,800\s+50\s+payments\s+demo\.charge\s+exception\s+System\.Net\.Http\.HttpRequestException: card # declined", table);
        Assert.Matches(@"(?m)^900\s+900\s+0\s+payments\s+demo\.charge\s+exception\s+.*provider answered # for order #", table);
        Assert.Matches(@"(?m)^300\s+300\s+0\s+.*timeout after # s", table);
        var json = JsonDocument.Parse((await RunAsync(schema, "failures", "--since", "3h", "--json")).ShouldSucceed().Output).RootElement;
        Assert.Equal(1820, json.GetProperty("groups")[0].GetProperty("discarded").GetInt64());

        var recent = JsonDocument.Parse((await RunAsync(schema, "list", "--state", "discarded", "--finished-to", "15m", "--json")).ShouldSucceed().Output).RootElement;
        Assert.Equal(20, recent.GetProperty("jobs").GetArrayLength());
    }

    [Fact]
    public async Task StatusAndList_FlagLostNodesStaleJobsAndAMissingLeader()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.ScalarAsync<int>("WITH n AS (INSERT INTO {s}.nodes (name, seen_at) VALUES ('node-gone', now() - interval '10 minutes') RETURNING 1) SELECT count(*)::int FROM n");
        var id = await schema.EnqueueAsync(Report);
        await schema.ScalarAsync<int>(
            "WITH u AS (UPDATE {s}.jobs SET state = 'running', attempt = 1, attempted_at = now() - interval '20 minutes', attempted_by = 'node-gone', heartbeat_at = now() - interval '20 minutes' WHERE id = $1 RETURNING 1) SELECT count(*)::int FROM u",
            id.Value);

        var status = (await RunAsync(schema, "status")).ShouldSucceed();
        Assert.Matches(@"node-gone\s+LOST\s+1\s+1\s+10m", status.Output);
        Assert.Contains("warning: no process holds the maintenance lease", status.Error, StringComparison.Ordinal);
        Assert.Contains("warning: node 'node-gone' has not been seen for over 30 s", status.Error, StringComparison.Ordinal);
        var json = JsonDocument.Parse((await RunAsync(schema, "status", "--json")).ShouldSucceed().Output).RootElement;
        Assert.False(Assert.Single(json.GetProperty("nodes").EnumerateArray()).GetProperty("alive").GetBoolean());

        Assert.Matches($@"(?m)^{id}\s+cli\.report\s+reports\s+running \(stale\)", (await RunAsync(schema, "list")).ShouldSucceed().Output);
        var shown = (await RunAsync(schema, "show", id.ToString())).ShouldSucceed().Output;
        Assert.Matches(@"node\s+node-gone", shown);
        Assert.Contains("running (stale)", shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Actions_AreAuditedOnStderr_WithTheActor_AndCancelReasonsNameThem()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var first = await schema.EnqueueAsync(Report);
        var second = await schema.EnqueueAsync(Report);

        var named = (await RunAsync(schema, "cancel", first.ToString(), "--actor", "alice", "--reason", "customer withdrew")).ShouldSucceed();
        Assert.Contains($"audit: Operator action in schema {schema.Name} by alice via the queues CLI: cancelled job {first}; 1 affected", named.Error, StringComparison.Ordinal);
        Assert.Equal("customer withdrew (by alice via the queues CLI)", Assert.Single((await schema.Admin.GetJobAsync(first, Ct))!.Errors).Message);

        var os = (await RunAsync(schema, "cancel", second.ToString())).ShouldSucceed();
        var actor = $"{Environment.UserName} on {Environment.MachineName} via the queues CLI";
        Assert.Contains($"by {actor}: cancelled job {second}", os.Error, StringComparison.Ordinal);
        Assert.Equal($"cancelled (by {actor})", Assert.Single((await schema.Admin.GetJobAsync(second, Ct))!.Errors).Message);

        var paused = (await RunAsync(schema, "pause", "reports", "--actor", "bob")).ShouldSucceed();
        Assert.Contains("by bob via the queues CLI: paused queue 'reports'; 1 affected", paused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PauseAndResume_RefuseAnUnknownQueue_UnlessThePauseIsForced()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.EnqueueAsync(Report);

        var typo = await RunAsync(schema, "pause", "reprots");
        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("Queue 'reprots' is not known", typo.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await RunAsync(schema, "resume", "reprots")).ExitCode);
        Assert.Empty(await schema.Admin.GetPausedQueuesAsync(Ct));

        Assert.Contains("Queue 'launch' is paused.", (await RunAsync(schema, "pause", "launch", "--force")).ShouldSucceed().Output, StringComparison.Ordinal);
        Assert.Equal(["launch"], await schema.Admin.GetPausedQueuesAsync(Ct));
    }

    [Fact]
    public async Task DatabaseRefusingConnections_ExitsAsUnreachable_WithOneLine()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var role = "no_room_" + schema.Name;
        await schema.ScalarAsync<int>($"SELECT 1; CREATE ROLE \"{role}\" LOGIN CONNECTION LIMIT 0");
        try
        {
            var refused = new Npgsql.NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Username = role }.ConnectionString;
            var result = await QueuesTool.RunAsync(["status", "--connection", refused, "--schema", schema.Name]);
            Assert.Equal(3, result.ExitCode);
            Assert.Contains("cannot connect to the database", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            await schema.ScalarAsync<int>($"SELECT 1; DROP ROLE \"{role}\"");
        }
    }

    [Fact]
    public async Task Connection_ComesFromTheEnvironmentOrAppSettingsInTheCurrentDirectory()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.Admin.PauseQueueAsync("from-config", force: true, Ct);

        var fromEnvironment = await QueuesTool.RunAsync(["status", "--schema", schema.Name],
            environment: new Dictionary<string, string?> { ["QUEUES_CONNECTION_STRING"] = fixture.ConnectionString });
        Assert.Contains("from-config", fromEnvironment.ShouldSucceed().Output, StringComparison.Ordinal);

        var directory = Directory.CreateTempSubdirectory("queues-cli-settings-");
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "appsettings.json"),
            JsonSerializer.Serialize(new Dictionary<string, Dictionary<string, string>> { ["ConnectionStrings"] = new() { ["Queues"] = fixture.ConnectionString } }), Ct);
        var fromSettings = await QueuesTool.RunAsync(["status", "--schema", schema.Name], directory.FullName);
        Assert.Contains("from-config", fromSettings.ShouldSucceed().Output, StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "appsettings.json"),
            JsonSerializer.Serialize(new Dictionary<string, Dictionary<string, string>> { ["Queues"] = new() { ["ConnectionString"] = fixture.ConnectionString } }), Ct);
        Assert.Contains("from-config", (await QueuesTool.RunAsync(["status", "--schema", schema.Name], directory.FullName)).ShouldSucceed().Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_AreOneLineWithDocumentedExitCodes_NeverStackTraces()
    {
        var none = await QueuesTool.RunAsync(["status"]);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("No connection string", none.Error, StringComparison.Ordinal);

        var unreachable = await QueuesTool.RunAsync(["status", "--connection", "Host=127.0.0.1;Port=1;Username=nobody"]);
        Assert.Equal(3, unreachable.ExitCode);
        Assert.Contains("cannot reach the database", unreachable.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unreachable.Error, StringComparison.Ordinal);

        var unknown = await QueuesTool.RunAsync(["frobnicate"]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("frobnicate", unknown.Error, StringComparison.Ordinal);

        await using var schema = await fixture.CreateSchemaAsync(migrate: false);
        var notMigrated = await RunAsync(schema, "status");
        Assert.Equal(1, notMigrated.ExitCode);
        Assert.Contains("Run 'queues migrate' first", notMigrated.Error, StringComparison.Ordinal);
    }
}
