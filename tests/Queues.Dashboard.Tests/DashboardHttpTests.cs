using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Queues.Dashboard.Tests.Infrastructure;

namespace Queues.Dashboard.Tests;

public sealed class DashboardHttpTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"Expected {expected}, got {response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Page_IsServedWithAnAntiforgeryTokenAndEmbeddedAssets()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var host = await DashboardHost.StartAsync(schema);
        var client = await host.CreateClientAsync();

        Assert.Contains("<main id=\"view\">", client.Page, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(client.Token));
        Assert.Contains("data-allow-actions=\"false\"", client.Page, StringComparison.Ordinal);
        var script = await client.GetAsync("/queues/assets/app.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Contains("function route()", await script.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var styles = await client.GetAsync("/queues/assets/app.css");
        Assert.Equal("text/css", styles.Content.Headers.ContentType!.MediaType);
        var bare = await client.GetAsync("/queues");
        Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        Assert.Contains("src=\"/queues/assets/app.js\"", await bare.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/queues/assets/secrets.json")).StatusCode);
    }

    [Fact]
    public async Task Overview_ReportsQueuesFinishedTotalsOldestWaitingNodesAndThroughput()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var waiting = await schema.EnqueueAsync(DemoJobs.Ok);
        await schema.EnqueueAsync(DemoJobs.Ok);
        await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        await schema.SetFinishedAsync(await schema.EnqueueAsync(DemoJobs.Flaky), "discarded");
        await schema.SetFinishedAsync(await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Queue = "mail" }), "completed");
        var running = await schema.EnqueueAsync(DemoJobs.Blocking);
        await schema.ScalarAsync<int>("WITH u AS (UPDATE {s}.jobs SET state = 'running', attempt = 1, attempted_at = now(), heartbeat_at = now(), attempted_by = 'node-a' WHERE id = $1 RETURNING 1) SELECT count(*)::int FROM u", running.Value);
        await schema.ScalarAsync<int>("WITH i AS (INSERT INTO {s}.leader VALUES ('maintenance', 'node-b', now() + interval '1 minute') RETURNING 1) SELECT count(*)::int FROM i");
        await using var host = await DashboardHost.StartAsync(schema);
        var client = await host.CreateClientAsync();

        var overview = await JsonAsync(await client.GetAsync("/queues/api/overview"));

        var queues = overview.GetProperty("queues").EnumerateArray().ToDictionary(static q => q.GetProperty("queue").GetString()!);
        Assert.Equal(["default", "slow"], queues.Keys.Order());
        Assert.Equal(2, queues["default"].GetProperty("available").GetInt64());
        Assert.Equal(1, queues["default"].GetProperty("scheduled").GetInt64());
        Assert.Equal(1, queues["slow"].GetProperty("running").GetInt64());
        Assert.False(queues["default"].GetProperty("paused").GetBoolean());
        var finished = overview.GetProperty("finished").EnumerateArray().ToDictionary(static f => f.GetProperty("state").GetString()!, static f => f.GetProperty("count").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["completed"] = 1, ["discarded"] = 1 }, finished);
        Assert.All(overview.GetProperty("finished").EnumerateArray(), static f => Assert.False(f.GetProperty("estimate").GetBoolean()));
        Assert.Equal(waiting.Value, overview.GetProperty("oldest").GetProperty("id").GetInt64());
        var nodes = overview.GetProperty("nodes").EnumerateArray().Select(static n => (n.GetProperty("name").GetString(), n.GetProperty("runningJobs").GetInt64(), n.GetProperty("leader").GetBoolean()));
        Assert.Equal([("node-a", 1L, false), ("node-b", 0L, true)], nodes);
        var throughput = overview.GetProperty("throughput").EnumerateArray().Select(static b => (b.GetProperty("state").GetString(), b.GetProperty("count").GetInt64())).ToList();
        Assert.Contains(("completed", 1L), throughput);
        Assert.Contains(("discarded", 1L), throughput);

        // Settled minutes are cached between polls; the current one is counted again, so a job finished now shows up.
        await schema.SetFinishedAsync(await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Queue = "mail" }), "completed");
        var again = await JsonAsync(await client.GetAsync("/queues/api/overview"));
        Assert.Equal(2, again.GetProperty("throughput").EnumerateArray().Where(static b => b.GetProperty("state").GetString() == "completed").Sum(static b => b.GetProperty("count").GetInt64()));

        // A settled minute is not counted again: a row back-dated into it after it was cached stays out of the chart.
        await schema.ScalarAsync<int>("WITH i AS (INSERT INTO {s}.jobs (name, state, finalized_at) VALUES ('demo.ok', 'cancelled', now() - interval '10 minutes') RETURNING 1) SELECT count(*)::int FROM i");
        var cached = await JsonAsync(await client.GetAsync("/queues/api/overview"));
        Assert.DoesNotContain(cached.GetProperty("throughput").EnumerateArray(), static b => b.GetProperty("state").GetString() == "cancelled");
    }

    [Fact]
    public async Task Queues_ShowDepthAndPausedState_AndPauseResumeActsOnEveryNode()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Queue = "mail" });
        await using var host = await DashboardHost.StartAsync(schema, static o => o.AllowActions = true);
        var client = await host.CreateClientAsync();

        await JsonAsync(await client.PostAsync("/queues/api/queues/pause", """{"queue":"mail"}"""));
        var queues = await JsonAsync(await client.GetAsync("/queues/api/queues"));
        var mail = Assert.Single(queues.EnumerateArray());
        Assert.True(mail.GetProperty("paused").GetBoolean());
        Assert.Equal(1, mail.GetProperty("available").GetInt64());
        Assert.Equal(["mail"], await schema.Admin.GetPausedQueuesAsync(Ct));

        await JsonAsync(await client.PostAsync("/queues/api/queues/resume", """{"queue":"mail"}"""));
        Assert.Empty(await schema.Admin.GetPausedQueuesAsync(Ct));
        await JsonAsync(await client.PostAsync("/queues/api/queues/pause", $$"""{"queue":"{{new string('q', 200)}}"}"""), HttpStatusCode.BadRequest);
        await JsonAsync(await client.PostAsync("/queues/api/queues/pause", "{}"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task PauseAndResume_TakeTheQueueFromTheBody_SoASlashInItsNameSurvives()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Queue = "tenant/eu" });
        await using var host = await DashboardHost.StartAsync(schema, static o => o.AllowActions = true);
        var client = await host.CreateClientAsync();

        var paused = await JsonAsync(await client.PostAsync("/queues/api/queues/pause", """{"queue":"tenant/eu"}"""));
        Assert.Equal("Queue 'tenant/eu' paused.", paused.GetProperty("message").GetString());
        Assert.Equal(["tenant/eu"], await schema.Admin.GetPausedQueuesAsync(Ct));
        var queue = Assert.Single((await JsonAsync(await client.GetAsync("/queues/api/queues"))).EnumerateArray());
        Assert.Equal("tenant/eu", queue.GetProperty("queue").GetString());
        Assert.True(queue.GetProperty("paused").GetBoolean());

        await JsonAsync(await client.PostAsync("/queues/api/queues/resume", """{"queue":"tenant/eu"}"""));
        Assert.Empty(await schema.Admin.GetPausedQueuesAsync(Ct));
    }

    [Fact]
    public async Task PauseAndResume_RefuseAnUnknownQueue_UnlessThePauseIsForced()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Queue = "mail" });
        await using var host = await DashboardHost.StartAsync(schema, static o => o.AllowActions = true);
        var client = await host.CreateClientAsync();

        var typo = await JsonAsync(await client.PostAsync("/queues/api/queues/pause", """{"queue":"mial"}"""), HttpStatusCode.BadRequest);
        Assert.Contains("Queue 'mial' is not known", typo.GetProperty("error").GetString(), StringComparison.Ordinal);
        await JsonAsync(await client.PostAsync("/queues/api/queues/resume", """{"queue":"mial"}"""), HttpStatusCode.BadRequest);
        Assert.Empty(await schema.Admin.GetPausedQueuesAsync(Ct));

        // Known: it holds a job; or a worker node serves it; or it is paused (forced, before its first job).
        await JsonAsync(await client.PostAsync("/queues/api/queues/pause", """{"queue":"mail"}"""));
        await schema.ScalarAsync<int>("WITH i AS (INSERT INTO {s}.nodes (name, queues) VALUES ('node-9', ARRAY['billing']) RETURNING 1) SELECT count(*)::int FROM i");
        await JsonAsync(await client.PostAsync("/queues/api/queues/pause", """{"queue":"billing"}"""));
        await JsonAsync(await client.PostAsync("/queues/api/queues/pause", """{"queue":"next-week","force":true}"""));
        Assert.Equal(["billing", "mail", "next-week"], await schema.Admin.GetPausedQueuesAsync(Ct));
        var resumed = await JsonAsync(await client.PostAsync("/queues/api/queues/resume", """{"queue":"next-week"}"""));
        Assert.Equal(1, resumed.GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task DatabaseUnavailable_Answers503WithAReadableMessage_NeverAStackTrace()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        // A role that may hold no connection: the server refuses it (53300), as a full or restarting server would.
        var role = "no_room_" + schema.Name;
        await schema.ScalarAsync<int>($"SELECT 1; CREATE ROLE \"{role}\" LOGIN CONNECTION LIMIT 0");
        try
        {
            var refused = new Npgsql.NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Username = role, Password = null }.ConnectionString;
            var down = new Npgsql.NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Host = "127.0.0.1", Port = 1, Timeout = 2 }.ConnectionString;
            foreach (var connectionString in (string[])[refused, down])
            {
                await using var host = await DashboardHost.StartAsync(schema, connectionString: connectionString);
                var client = await host.CreateClientAsync();
                foreach (var path in (string[])["/queues/api/overview", "/queues/api/queues", "/queues/api/jobs", "/queues/api/jobs/1"])
                {
                    var response = await client.GetAsync(path);
                    var error = await JsonAsync(response, HttpStatusCode.ServiceUnavailable);
                    Assert.StartsWith("The database is unavailable: ", error.GetProperty("error").GetString(), StringComparison.Ordinal);
                    Assert.DoesNotContain("   at ", error.GetProperty("error").GetString(), StringComparison.Ordinal);
                    Assert.True(response.Headers.Contains("Retry-After"));
                }
            }
        }
        finally
        {
            await schema.ScalarAsync<int>($"SELECT 1; DROP ROLE \"{role}\"");
        }
    }

    [Fact]
    public async Task Liveness_FlagsStaleRunningJobs_LostNodes_AndAMissingLeader()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        // node-gone stopped 10 minutes ago holding a job; node-live beats, but one of its jobs has not for 25 minutes.
        await schema.ScalarAsync<int>("""
            WITH n AS (INSERT INTO {s}.nodes (name, queues, seen_at) VALUES ('node-gone', ARRAY['default'], now() - interval '10 minutes'),
                                                                         ('node-live', ARRAY['default'], now()) RETURNING 1)
            SELECT count(*)::int FROM n
            """);
        var lost = await schema.EnqueueAsync(DemoJobs.Ok);
        var stale = await schema.EnqueueAsync(DemoJobs.Ok);
        var fresh = await schema.EnqueueAsync(DemoJobs.Ok);
        foreach (var (id, node, age) in ((JobId, string, string)[])[(lost, "node-gone", "20 minutes"), (stale, "node-live", "25 minutes"), (fresh, "node-live", "1 second")])
        {
            await schema.ScalarAsync<int>(
                "WITH u AS (UPDATE {s}.jobs SET state = 'running', attempt = 1, attempted_at = now() - $3::interval, attempted_by = $2, heartbeat_at = now() - $3::interval WHERE id = $1 RETURNING 1) SELECT count(*)::int FROM u",
                id.Value, node, age);
        }

        await using var host = await DashboardHost.StartAsync(schema);
        var client = await host.CreateClientAsync();
        var overview = await JsonAsync(await client.GetAsync("/queues/api/overview"));
        var nodes = overview.GetProperty("nodes").EnumerateArray().ToDictionary(static n => n.GetProperty("name").GetString()!);
        Assert.False(nodes["node-gone"].GetProperty("alive").GetBoolean());
        Assert.Equal(1, nodes["node-gone"].GetProperty("staleJobs").GetInt64());
        Assert.True(nodes["node-live"].GetProperty("alive").GetBoolean());
        Assert.Equal(1, nodes["node-live"].GetProperty("staleJobs").GetInt64());
        var warnings = overview.GetProperty("warnings").EnumerateArray().Select(static w => w.GetString()!).ToList();
        Assert.Contains(warnings, static w => w.StartsWith("No process holds the maintenance lease", StringComparison.Ordinal));
        Assert.Contains(warnings, static w => w.StartsWith("Node 'node-gone' has not been seen for over 30 s", StringComparison.Ordinal));
        Assert.Contains(warnings, static w => w.StartsWith("1 running job(s) on live nodes have not heartbeated", StringComparison.Ordinal));

        var running = (await JsonAsync(await client.GetAsync("/queues/api/jobs?state=running"))).GetProperty("jobs").EnumerateArray()
            .ToDictionary(static j => j.GetProperty("id").GetInt64());
        Assert.True(running[lost.Value].GetProperty("stale").GetBoolean());
        Assert.True(running[stale.Value].GetProperty("stale").GetBoolean());
        Assert.False(running[fresh.Value].GetProperty("stale").GetBoolean());
        var detail = (await JsonAsync(await client.GetAsync($"/queues/api/jobs/{stale}"))).GetProperty("job");
        Assert.Equal("node-live", detail.GetProperty("node").GetString());
        Assert.True(detail.GetProperty("stale").GetBoolean());

        // A leader holds the lease: that warning goes.
        await schema.ScalarAsync<int>("WITH i AS (INSERT INTO {s}.leader VALUES ('maintenance', 'node-live', now() + interval '1 minute') RETURNING 1) SELECT count(*)::int FROM i");
        var led = await JsonAsync(await client.GetAsync("/queues/api/overview"));
        Assert.DoesNotContain(led.GetProperty("warnings").EnumerateArray(), static w => w.GetString()!.Contains("maintenance lease", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Failures_AreGroupedByReasonWithExactCounts_AndTheListAndBulkActionsFilterByFinishTime()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.InsertFailureBurstAsync();
        await using var host = await DashboardHost.StartAsync(schema, static o => o.AllowActions = true);
        var client = await host.CreateClientAsync();

        var failures = await JsonAsync(await client.GetAsync("/queues/api/failures?minutes=15"));
        Assert.False(failures.GetProperty("truncated").GetBoolean());
        var groups = failures.GetProperty("groups").EnumerateArray()
            .Select(static g => (g.GetProperty("message").GetString(), g.GetProperty("discarded").GetInt64(), g.GetProperty("retryable").GetInt64())).ToList();
        Assert.Equal([("card # declined", 1800L, 50L), ("provider answered # for order #", 900L, 0L), ("timeout after # s", 300L, 0L)], groups);
        var first = failures.GetProperty("groups")[0];
        Assert.Equal("payments", first.GetProperty("queue").GetString());
        Assert.Equal("demo.charge", first.GetProperty("name").GetString());
        Assert.Equal("System.Net.Http.HttpRequestException", first.GetProperty("type").GetString());

        // The day's window takes in the old ones too; another queue has none.
        var day = await JsonAsync(await client.GetAsync("/queues/api/failures?minutes=1440"));
        Assert.Equal(1820, day.GetProperty("groups")[0].GetProperty("discarded").GetInt64());
        Assert.Empty((await JsonAsync(await client.GetAsync("/queues/api/failures?minutes=15&queue=mail"))).GetProperty("groups").EnumerateArray());
        await JsonAsync(await client.GetAsync("/queues/api/failures?minutes=0"), HttpStatusCode.BadRequest);

        // Finished in the last 15 minutes: the list and a bulk action take the same 3,000 jobs, not the old 20.
        var since = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-15).ToString("O"));
        var page = await JsonAsync(await client.GetAsync($"/queues/api/jobs?state=discarded&finishedFrom={since}&limit=1000"));
        Assert.Equal(1000, page.GetProperty("jobs").GetArrayLength());
        Assert.All(page.GetProperty("jobs").EnumerateArray(), static j => Assert.True(j.GetProperty("finalizedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-16)));
        var older = await JsonAsync(await client.GetAsync($"/queues/api/jobs?state=discarded&finishedTo={since}&limit=1000"));
        Assert.Equal(20, older.GetProperty("jobs").GetArrayLength());
        var count = await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk/count",
            """{"action":"retry","filter":{"states":["discarded"],"finishedFrom":""" + $"\"{DateTimeOffset.UtcNow.AddMinutes(-15):O}\"" + "}}"));
        Assert.Equal(3000, count.GetProperty("count").GetInt64());
        var onlyOld = await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk/count",
            """{"action":"delete","filter":{"finishedTo":""" + $"\"{DateTimeOffset.UtcNow.AddMinutes(-15):O}\"" + "}}"));
        Assert.Equal(20, onlyOld.GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task Jobs_FilterByQueueNameStateTimeAndId_AndPageByKeyset()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var ok = new List<JobId>();
        for (var i = 0; i < 7; i++)
        {
            ok.Add(await schema.EnqueueAsync(DemoJobs.Ok));
        }

        var failed = await schema.EnqueueAsync(DemoJobs.Flaky);
        await schema.SetFinishedAsync(failed, "discarded", "card declined");
        await using var host = await DashboardHost.StartAsync(schema);
        var client = await host.CreateClientAsync();

        var seen = new List<long>();
        string? before = null;
        do
        {
            var page = await JsonAsync(await client.GetAsync($"/queues/api/jobs?name=demo.ok&state=available&limit=3{(before is null ? "" : "&before=" + before)}"));
            seen.AddRange(page.GetProperty("jobs").EnumerateArray().Select(static j => j.GetProperty("id").GetInt64()));
            before = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        while (before is not null);

        Assert.Equal(ok.Select(static i => i.Value).OrderDescending(), seen);
        var discarded = await JsonAsync(await client.GetAsync("/queues/api/jobs?state=discarded&queue=payments"));
        var row = Assert.Single(discarded.GetProperty("jobs").EnumerateArray());
        Assert.Equal(failed.Value, row.GetProperty("id").GetInt64());
        Assert.Equal("card declined", row.GetProperty("lastError").GetString());
        Assert.Empty((await JsonAsync(await client.GetAsync("/queues/api/jobs?to=2001-01-01T00:00:00Z"))).GetProperty("jobs").EnumerateArray());
        Assert.Equal(8, (await JsonAsync(await client.GetAsync($"/queues/api/jobs?from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"))}"))).GetProperty("jobs").GetArrayLength());
        Assert.Equal(ok[3].Value, Assert.Single((await JsonAsync(await client.GetAsync($"/queues/api/jobs?id={ok[3]}"))).GetProperty("jobs").EnumerateArray()).GetProperty("id").GetInt64());
        Assert.Empty((await JsonAsync(await client.GetAsync("/queues/api/jobs?queue=x'%3B%20DROP%20TABLE%20jobs%3B--"))).GetProperty("jobs").EnumerateArray());
    }

    [Fact]
    public async Task Jobs_ById_AppliesTheOtherFiltersToo_AsABulkActionWould()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Queue = "mail" });
        await using var host = await DashboardHost.StartAsync(schema);
        var client = await host.CreateClientAsync();

        Assert.Single((await JsonAsync(await client.GetAsync($"/queues/api/jobs?id={id}&queue=mail&state=available"))).GetProperty("jobs").EnumerateArray());
        Assert.Empty((await JsonAsync(await client.GetAsync($"/queues/api/jobs?id={id}&queue=other"))).GetProperty("jobs").EnumerateArray());
        Assert.Empty((await JsonAsync(await client.GetAsync($"/queues/api/jobs?id={id}&state=discarded"))).GetProperty("jobs").EnumerateArray());
        Assert.Empty((await JsonAsync(await client.GetAsync($"/queues/api/jobs?id={id}&to=2001-01-01T00:00:00Z"))).GetProperty("jobs").EnumerateArray());
    }

    [Theory]
    [InlineData("state=exploded")]
    [InlineData("state=1")]
    [InlineData("limit=0")]
    [InlineData("limit=5000")]
    [InlineData("before=abc")]
    [InlineData("from=yesterday")]
    [InlineData("tenant=eu")]
    [InlineData("queue=mail%00")]
    [InlineData("name=demo.ok%00%27")]
    [InlineData("id=1&queue=%00")]
    public async Task Jobs_RejectBadFiltersWith400AndAMessage(string query)
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var host = await DashboardHost.StartAsync(schema);
        var client = await host.CreateClientAsync();

        var error = await JsonAsync(await client.GetAsync("/queues/api/jobs?" + query), HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task JobDetail_HidesThePayloadByDefault_AndShowsErrorsAndTimeline()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = await schema.EnqueueAsync(DemoJobs.Flaky, """{"card":"4111111111111111","amount":12}""");
        await schema.SetFinishedAsync(id, "discarded", "card declined");
        await using var host = await DashboardHost.StartAsync(schema);
        var client = await host.CreateClientAsync();

        var detail = await JsonAsync(await client.GetAsync($"/queues/api/jobs/{id}"));
        Assert.True(detail.GetProperty("payloadHidden").GetBoolean());
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("payload").ValueKind);
        Assert.DoesNotContain("4111", detail.GetRawText(), StringComparison.Ordinal);
        var error = Assert.Single(detail.GetProperty("errors").EnumerateArray());
        Assert.Equal("card declined", error.GetProperty("message").GetString());
        Assert.Equal("   at Demo.Run()", error.GetProperty("trace").GetString());
        Assert.Equal(["created", "attempt 1: exception (System.InvalidOperationException)", "discarded"],
            detail.GetProperty("timeline").EnumerateArray().Select(static t => t.GetProperty("event").GetString()).Where(static e => !e!.EndsWith("started", StringComparison.Ordinal)));
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("traceId").ValueKind);
        await JsonAsync(await client.GetAsync("/queues/api/jobs/999999"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task JobDetail_ShowsPayloadsPrettyWhenAllowed_ThroughTheRedactionHook()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = await schema.EnqueueAsync(DemoJobs.Ok, """{"email":"a@example.com","n":1}""");
        await using (var host = await DashboardHost.StartAsync(schema, static o => o.ShowPayloads = true))
        {
            var detail = await JsonAsync(await (await host.CreateClientAsync()).GetAsync($"/queues/api/jobs/{id}"));
            Assert.False(detail.GetProperty("payloadHidden").GetBoolean());
            Assert.Equal("{\n  \"n\": 1,\n  \"email\": \"a@example.com\"\n}", detail.GetProperty("payload").GetString()!.Replace("\r\n", "\n", StringComparison.Ordinal));
        }

        await using (var host = await DashboardHost.StartAsync(schema, static o => { o.ShowPayloads = true; o.RedactPayload = static job => $"<{job.Name}: redacted>"; }))
        {
            var detail = await JsonAsync(await (await host.CreateClientAsync()).GetAsync($"/queues/api/jobs/{id}"));
            Assert.Equal("<demo.ok: redacted>", detail.GetProperty("payload").GetString());
        }
    }

    [Fact]
    public async Task Cron_ListsPeriodicJobsWithTheirLastAndNextRun()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.ScalarAsync<int>("WITH i AS (INSERT INTO {s}.cron_runs VALUES ('demo.nightly', '2026-01-01T03:00:00Z', 42), ('demo.nightly', '2026-01-02T03:00:00Z', 43) RETURNING 1) SELECT count(*)::int FROM i");
        await using var host = await DashboardHost.StartAsync(schema);
        var client = await host.CreateClientAsync();

        var cron = Assert.Single((await JsonAsync(await client.GetAsync("/queues/api/cron"))).EnumerateArray());
        Assert.Equal("demo.nightly", cron.GetProperty("name").GetString());
        Assert.Equal("0 3 * * *", cron.GetProperty("cron").GetString());
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 0, 0, TimeSpan.Zero), cron.GetProperty("lastRun").GetDateTimeOffset());
        Assert.Equal(43, cron.GetProperty("lastJobId").GetInt64());
        var next = cron.GetProperty("nextRun").GetDateTimeOffset();
        Assert.True(next > DateTimeOffset.UtcNow && next <= DateTimeOffset.UtcNow.AddDays(1));
        Assert.Equal(3, next.Hour);
    }

    [Fact]
    public async Task Actions_AreForbiddenWhenTheDashboardIsReadOnly()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = await schema.EnqueueAsync(DemoJobs.Ok);
        await using var host = await DashboardHost.StartAsync(schema);
        var client = await host.CreateClientAsync();

        await JsonAsync(await client.PostAsync($"/queues/api/jobs/{id}/cancel"), HttpStatusCode.Forbidden);
        await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", """{"action":"delete","filter":{}}"""), HttpStatusCode.Forbidden);
        await JsonAsync(await client.PostAsync("/queues/api/queues/pause", """{"queue":"default"}"""), HttpStatusCode.Forbidden);
        Assert.Equal(JobState.Available, (await schema.Client.GetJobAsync(id, Ct))!.State);
        Assert.Empty(await schema.Admin.GetPausedQueuesAsync(Ct));
    }

    [Fact]
    public async Task Actions_RejectAMissingOrForeignAntiforgeryToken()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = await schema.EnqueueAsync(DemoJobs.Ok);
        await using var host = await DashboardHost.StartAsync(schema, static o => o.AllowActions = true);
        var client = await host.CreateClientAsync();
        var other = await host.CreateClientAsync();

        await JsonAsync(await client.PostAsync($"/queues/api/jobs/{id}/cancel", withToken: false), HttpStatusCode.BadRequest);
        var noCookie = await host.CreateClientAsync(loadPage: false);
        var forged = new HttpRequestMessage(HttpMethod.Post, $"/queues/api/jobs/{id}/cancel");
        forged.Headers.Add(client.HeaderName!, client.Token);
        await JsonAsync(await noCookie.Http.SendAsync(forged, Ct), HttpStatusCode.BadRequest);
        Assert.Equal(JobState.Available, (await schema.Client.GetJobAsync(id, Ct))!.State);

        await JsonAsync(await other.PostAsync($"/queues/api/jobs/{id}/cancel"));
        Assert.Equal(JobState.Cancelled, (await schema.Client.GetJobAsync(id, Ct))!.State);
    }

    [Fact]
    public async Task JobActions_RetryCancelAndDelete_AndExplainWhyAJobInAnotherStateCannot()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var discarded = await schema.EnqueueAsync(DemoJobs.Flaky);
        await schema.SetFinishedAsync(discarded, "discarded");
        var waiting = await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        await using var host = await DashboardHost.StartAsync(schema, static o => o.AllowActions = true);
        var client = await host.CreateClientAsync();

        await JsonAsync(await client.PostAsync($"/queues/api/jobs/{discarded}/retry"));
        Assert.Equal(JobState.Available, (await schema.Client.GetJobAsync(discarded, Ct))!.State);
        var conflict = await JsonAsync(await client.PostAsync($"/queues/api/jobs/{waiting}/retry"), HttpStatusCode.Conflict);
        Assert.Contains("scheduled", conflict.GetProperty("error").GetString(), StringComparison.Ordinal);

        await JsonAsync(await client.PostAsync($"/queues/api/jobs/{waiting}/cancel"));
        var cancelled = (await schema.Client.GetJobAsync(waiting, Ct))!;
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal("cancelled (by anonymous via the dashboard)", Assert.Single(cancelled.Errors).Message);
        await JsonAsync(await client.PostAsync($"/queues/api/jobs/{waiting}/cancel"), HttpStatusCode.Conflict);

        await JsonAsync(await client.PostAsync($"/queues/api/jobs/{waiting}/delete"));
        Assert.Null(await schema.Client.GetJobAsync(waiting, Ct));
        await JsonAsync(await client.PostAsync($"/queues/api/jobs/{waiting}/delete"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task BulkActions_ActOnASelectionAndOnEverythingAFilterMatches()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var failed = new List<JobId>();
        for (var i = 0; i < 5; i++)
        {
            var id = await schema.EnqueueAsync(DemoJobs.Flaky);
            await schema.SetFinishedAsync(id, "discarded");
            failed.Add(id);
        }

        var waiting = new List<JobId>();
        for (var i = 0; i < 3; i++)
        {
            waiting.Add(await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Queue = "mail" }));
        }

        await using var host = await DashboardHost.StartAsync(schema, static o => o.AllowActions = true);
        var client = await host.CreateClientAsync();

        var selection = await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", $$"""{"action":"retry","ids":[{{failed[0]}},{{failed[1]}}]}"""));
        Assert.Equal(2, selection.GetProperty("count").GetInt64());
        var all = await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", """{"action":"retry","filter":{"states":["discarded"],"queue":"payments"}}"""));
        Assert.Equal(3, all.GetProperty("count").GetInt64());
        Assert.Equal(5, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs WHERE state = 'available' AND queue = 'payments'"));

        var cancelled = await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", """{"action":"cancel","filter":{"queue":"mail"}}"""));
        Assert.Equal(3, cancelled.GetProperty("count").GetInt64());
        var deleted = await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", """{"action":"delete","filter":{"states":["cancelled"]}}"""));
        Assert.Equal(3, deleted.GetProperty("count").GetInt64());
        Assert.Equal(5, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs"));

        await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", """{"action":"explode","filter":{"queue":"mail"}}"""), HttpStatusCode.BadRequest);
        await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", """{"action":"delete"}"""), HttpStatusCode.BadRequest);
        await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", "not json"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task BulkDelete_WithAnIdFilter_DeletesOnlyThatJob()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var ids = new List<JobId>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await schema.EnqueueAsync(DemoJobs.Ok));
        }

        await using var host = await DashboardHost.StartAsync(schema, static o => o.AllowActions = true);
        var client = await host.CreateClientAsync();
        var body = $$"""{"action":"delete","filter":{"id":{{ids[7]}}} }""";

        Assert.Equal(1, (await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk/count", body))).GetProperty("count").GetInt64());
        Assert.Equal(1, (await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", body))).GetProperty("count").GetInt64());
        Assert.Null(await schema.Client.GetJobAsync(ids[7], Ct));
        Assert.Equal(19, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs"));

        // The id combines with the other filters, as in the list: a job outside them is not touched.
        var elsewhere = $$"""{"action":"delete","filter":{"id":{{ids[8]}},"queue":"mail"} }""";
        Assert.Equal(0, (await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", elsewhere))).GetProperty("count").GetInt64());
        Assert.NotNull(await schema.Client.GetJobAsync(ids[8], Ct));
    }

    [Fact]
    public async Task BulkActions_RefuseAnEmptyFilter_AndActOnEverythingOnlyWithAll()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        for (var i = 0; i < 4; i++)
        {
            await schema.EnqueueAsync(DemoJobs.Ok);
        }

        await using var host = await DashboardHost.StartAsync(schema, static o => o.AllowActions = true);
        var client = await host.CreateClientAsync();

        foreach (var path in (string[])["/queues/api/jobs/bulk", "/queues/api/jobs/bulk/count"])
        {
            foreach (var body in (string[])[
                """{"action":"delete","filter":{}}""",
                """{"action":"delete","filter":{"queue":"  ","name":"","states":[]}}""",
                """{"action":"delete"}""",
                """{"action":"delete","all":false,"filter":{}}"""])
            {
                var error = await JsonAsync(await client.PostAsync(path, body), HttpStatusCode.BadRequest);
                Assert.Contains("all: true", error.GetProperty("error").GetString(), StringComparison.Ordinal);
            }

            // A member the server does not know is refused rather than ignored: ignoring it would widen the action.
            await JsonAsync(await client.PostAsync(path, """{"action":"delete","filter":{"queue":"default","tenant":"eu"}}"""), HttpStatusCode.BadRequest);
            await JsonAsync(await client.PostAsync(path, """{"action":"delete","filter":{"queue":"default"},"all":true}"""), HttpStatusCode.BadRequest);
            await JsonAsync(await client.PostAsync(path, """{"action":"delete","ids":[1],"all":true}"""), HttpStatusCode.BadRequest);
        }

        Assert.Equal(4, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs"));
        Assert.Equal(4, (await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk/count", """{"action":"delete","all":true}"""))).GetProperty("count").GetInt64());
        Assert.Equal(4, (await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", """{"action":"delete","all":true,"filter":{}}"""))).GetProperty("count").GetInt64());
        Assert.Equal(0, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs"));
    }

    [Fact]
    public async Task BulkCount_IsTheExactNumberTheActionTouches_AndNeedsNoActionRights()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        for (var i = 0; i < 3; i++)
        {
            await schema.SetFinishedAsync(await schema.EnqueueAsync(DemoJobs.Flaky), "discarded");
        }

        await schema.SetFinishedAsync(await schema.EnqueueAsync(DemoJobs.Ok), "completed");
        var waiting = new List<JobId>();
        for (var i = 0; i < 5; i++)
        {
            waiting.Add(await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Queue = "mail" }));
        }

        var running = waiting[0];
        await schema.ScalarAsync<int>("WITH u AS (UPDATE {s}.jobs SET state = 'running', attempt = 1 WHERE id = $1 RETURNING 1) SELECT count(*)::int FROM u", running.Value);
        await using (var readOnly = await DashboardHost.StartAsync(schema))
        {
            var reader = await readOnly.CreateClientAsync();
            Assert.Equal(3, (await JsonAsync(await reader.PostAsync("/queues/api/jobs/bulk/count", """{"action":"retry","all":true}"""))).GetProperty("count").GetInt64());
        }

        await using var host = await DashboardHost.StartAsync(schema, static o => o.AllowActions = true);
        var client = await host.CreateClientAsync();

        async Task<long> CountAsync(string body) => (await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk/count", body))).GetProperty("count").GetInt64();
        async Task<long> ActAsync(string body) => (await JsonAsync(await client.PostAsync("/queues/api/jobs/bulk", body))).GetProperty("count").GetInt64();

        // Counted in the states the action applies to: the running job is cancelled but never deleted.
        Assert.Equal(4, await CountAsync("""{"action":"delete","filter":{"queue":"mail"}}"""));
        Assert.Equal(5, await CountAsync("""{"action":"cancel","filter":{"queue":"mail"}}"""));
        Assert.Equal(0, await CountAsync("""{"action":"retry","filter":{"queue":"mail"}}"""));
        Assert.Equal(2, await CountAsync($$"""{"action":"delete","ids":[{{waiting[0]}},{{waiting[1]}},{{waiting[2]}}]}"""));
        Assert.Equal(8, await CountAsync("""{"action":"delete","all":true}"""));
        Assert.Equal(1, await CountAsync("""{"action":"delete","filter":{"name":"demo.ok","states":["completed"]}}"""));

        var body = """{"action":"retry","filter":{"states":["discarded"],"name":"demo.flaky"}}""";
        var counted = await CountAsync(body);
        Assert.Equal(3, counted);
        Assert.Equal(counted, await ActAsync(body));
        Assert.Equal(0, await CountAsync(body));
    }

    [Fact]
    public async Task BulkActions_AnswerANulInAFilterWith400()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.EnqueueAsync(DemoJobs.Ok);
        await using var host = await DashboardHost.StartAsync(schema, static o => o.AllowActions = true);
        var client = await host.CreateClientAsync();

        foreach (var path in (string[])["/queues/api/jobs/bulk", "/queues/api/jobs/bulk/count"])
        {
            foreach (var filter in (string[])["""{"name":"demo\u0000"}""", """{"queue":"de\u0000fault"}""", """{"states":["available\u0000"]}"""])
            {
                var error = await JsonAsync(await client.PostAsync(path, $$"""{"action":"delete","filter":{{filter}} }"""), HttpStatusCode.BadRequest);
                Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
            }
        }

        await JsonAsync(await client.PostAsync("/queues/api/queues/pause", """{"queue":"de\u0000fault"}"""), HttpStatusCode.BadRequest);
        Assert.Equal(1, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs"));
    }

    [Fact]
    public async Task Authorization_RequiresThePolicyOnPagesDataAndActions()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var host = await DashboardHost.StartAsync(schema, static o => { o.AuthorizationPolicy = "Ops"; o.AllowActions = true; }, withAuthentication: true, environment: "Production");

        var anonymous = await host.CreateClientAsync(loadPage: false);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/queues/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/queues/api/overview")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/queues/api/queues/pause", """{"queue":"default"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/queues/api/jobs/bulk/count", """{"action":"delete","all":true}""")).StatusCode);
        var stranger = await host.CreateClientAsync(user: "mallory", loadPage: false);
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync("/queues/api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync("/queues/assets/app.js")).StatusCode);

        var ops = await host.CreateClientAsync(user: "ops");
        Assert.False(string.IsNullOrEmpty(ops.Token));
        await JsonAsync(await ops.GetAsync("/queues/api/overview"));
        await JsonAsync(await ops.PostAsync("/queues/api/queues/pause", """{"queue":"default","force":true}"""));
    }

    [Fact]
    public async Task Actions_AreLoggedWithTheSignedInUser_AndCancelReasonsNameThem()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var waiting = await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Queue = "mail" });
        var discarded = await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Queue = "mail" });
        await schema.SetFinishedAsync(discarded, "discarded");
        await using var host = await DashboardHost.StartAsync(schema, static o => { o.AuthorizationPolicy = "Ops"; o.AllowActions = true; }, withAuthentication: true, environment: "Production");
        var ops = await host.CreateClientAsync(user: "ops");

        await JsonAsync(await ops.PostAsync($"/queues/api/jobs/{waiting}/cancel"));
        await JsonAsync(await ops.PostAsync("/queues/api/jobs/bulk", """{"action":"delete","filter":{"queue":"mail","states":["discarded"]}}"""));
        await JsonAsync(await ops.PostAsync("/queues/api/queues/pause", """{"queue":"mail"}"""));

        Assert.Equal("cancelled (by ops via the dashboard)", Assert.Single((await schema.Client.GetJobAsync(waiting, Ct))!.Errors).Message);
        var audit = host.Logs.Entries.Where(static e => e.EventId == QueuesEventId.OperatorAction).ToList();
        Assert.All(audit, static e => Assert.Equal("Queues.Admin", e.Category));
        Assert.Equal(
            [
                $"Operator action in schema {schema.Name} by ops via the dashboard: cancelled job {waiting}; 1 affected",
                $"Operator action in schema {schema.Name} by ops via the dashboard: deleted queue='mail' states=discarded; 1 affected",
                $"Operator action in schema {schema.Name} by ops via the dashboard: paused queue 'mail'; 1 affected",
            ],
            audit.Select(static e => e.Message));
    }

    [Fact]
    public async Task ActionPolicy_LetsViewersSeeButNotAct_AndHidesTheirActions()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.EnqueueAsync(DemoJobs.Ok, options: new EnqueueOptions { Queue = "mail" });
        await using var host = await DashboardHost.StartAsync(schema, static o => { o.AuthorizationPolicy = "Viewers"; o.ActionPolicy = "Ops"; o.AllowActions = true; },
            withAuthentication: true, environment: "Production");

        var viewer = await host.CreateClientAsync(user: "mallory");
        Assert.Contains("data-allow-actions=\"false\"", viewer.Page, StringComparison.Ordinal);
        await JsonAsync(await viewer.GetAsync("/queues/api/overview"));
        await JsonAsync(await viewer.PostAsync("/queues/api/jobs/bulk/count", """{"action":"delete","all":true}"""));
        var refused = await JsonAsync(await viewer.PostAsync("/queues/api/queues/pause", """{"queue":"mail"}"""), HttpStatusCode.Forbidden);
        Assert.Contains("'Ops'", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
        await JsonAsync(await viewer.PostAsync("/queues/api/jobs/bulk", """{"action":"delete","all":true}"""), HttpStatusCode.Forbidden);
        Assert.Empty(await schema.Admin.GetPausedQueuesAsync(Ct));
        Assert.Equal(1, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs"));

        var ops = await host.CreateClientAsync(user: "ops");
        Assert.Contains("data-allow-actions=\"true\"", ops.Page, StringComparison.Ordinal);
        await JsonAsync(await ops.PostAsync("/queues/api/queues/pause", """{"queue":"mail"}"""));
        Assert.Equal(["mail"], await schema.Admin.GetPausedQueuesAsync(Ct));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Mapping_ThrowsOutsideDevelopmentWithoutAnAuthorizationPolicy(string environment)
    {
        await using var schema = await fixture.CreateSchemaAsync(migrate: false);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseTestServer();
        builder.Services.AddAntiforgery();
        builder.Services.AddQueues(o => { o.ConnectionString = fixture.ConnectionString; o.Schema = schema.Name; });
        await using var app = builder.Build();

        var exception = Assert.Throws<InvalidOperationException>(() => app.MapQueuesDashboard("/queues"));
        Assert.Contains("AuthorizationPolicy", exception.Message, StringComparison.Ordinal);
        Assert.Contains(environment, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mapping_NamesTheMissingService()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Services.AddQueues(o => o.ConnectionString = fixture.ConnectionString);
        await using var app = builder.Build();

        var exception = Assert.Throws<InvalidOperationException>(() => app.MapQueuesDashboard("/queues"));
        Assert.Contains("AddAntiforgery", exception.Message, StringComparison.Ordinal);
    }
}
