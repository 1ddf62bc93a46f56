using Microsoft.Playwright;
using Queues.Dashboard.Tests.Infrastructure;

namespace Queues.Dashboard.Tests;

/// <summary>
/// The dashboard in headless Chromium (the Debian <c>chromium</c> package, driven by Playwright's bundled driver):
/// an operator finds a failed job, retries it and watches it complete. Never skipped: without Chromium it fails and
/// says how to install it. Screenshots go to <c>screenshots/</c> beside the test assembly.
/// </summary>
public sealed class BrowserTests(PostgresFixture fixture)
{
    private static readonly string[] LaunchArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    [Fact]
    public async Task Operator_FiltersToAFailedJob_RetriesIt_AndSeesItComplete()
    {
        var chromium = FindChromium();
        await using var schema = await fixture.CreateSchemaAsync();
        var admin = schema.Admin;
        var completed = new List<JobId>();
        for (var i = 0; i < 3; i++)
        {
            completed.Add(await schema.EnqueueAsync(DemoJobs.Ok, $$"""{"order":{{1000 + i}}}"""));
        }

        var failed = await schema.EnqueueAsync(DemoJobs.Flaky, """{"invoice":"INV-2041","amount":129.90,"currency":"EUR"}""");
        var retrying = await schema.EnqueueAsync(DemoJobs.Retrying, """{"to":"ops@example.com"}""");
        var running = await schema.EnqueueAsync(DemoJobs.Blocking, """{"report":"monthly"}""");
        await schema.EnqueueAsync(DemoJobs.Ok, """{"digest":"weekly"}""", new EnqueueOptions { Delay = TimeSpan.FromHours(2) });
        await schema.EnqueueAsync(DemoJobs.Ok, """{"export":"csv"}""", new EnqueueOptions { Queue = "reports" });
        await admin.PauseQueueAsync("reports", Ct);
        var cancelled = await schema.EnqueueAsync(DemoJobs.Ok, """{"order":999}""", new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        await admin.CancelJobAsync(cancelled, "customer withdrew the order", Ct);

        await using var host = await DashboardHost.StartAsync(schema, static o => { o.AllowActions = true; o.ShowPayloads = true; o.RefreshInterval = TimeSpan.FromMilliseconds(500); },
            processJobs: true, realPort: true);
        await schema.WaitForStateAsync(failed, JobState.Discarded);
        await schema.WaitForStateAsync(retrying, JobState.Retryable);
        await schema.WaitForStateAsync(running, JobState.Running);
        foreach (var id in completed)
        {
            await schema.WaitForStateAsync(id, JobState.Completed);
        }

        Directory.CreateDirectory(ScreenshotDirectory);
        using var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("queues-chromium-");
        try
        {
            await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = LaunchArgs,
                ViewportSize = new ViewportSize { Width = 1360, Height = 900 },
            });
            // Generous waits: CI machines are shared. Each wait ends as soon as the page shows what it should.
            Assertions.SetDefaultExpectTimeout(30_000);
            browser.SetDefaultTimeout(30_000);
            var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
            var pageErrors = new List<string>();
            page.PageError += (_, error) => pageErrors.Add(error);
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    pageErrors.Add($"{message.Text} ({message.Location})");
                }
            };

            // Overview: every state has its tile; the discarded job shows up there.
            await page.GotoAsync(host.Address + "/queues/");
            await Assertions.Expect(page.Locator(".tile.discarded .n")).ToHaveTextAsync("1");
            await Assertions.Expect(page.Locator(".tile.completed .n")).ToHaveTextAsync("3");
            await Assertions.Expect(page.Locator(".tile.running .n")).ToHaveTextAsync("1");
            await Assertions.Expect(page.Locator("#throughput-chart rect").First).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#nodes")).ToContainTextAsync("test-node-1");
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "overview.png"), FullPage = true });

            // Jobs: filter to discarded.
            await page.ClickAsync("nav a[data-view=jobs]");
            await page.SelectOptionAsync("#filters select[name=state]", "discarded");
            await page.ClickAsync("#filters button[type=submit]");
            var row = page.Locator($"tr[data-job='{failed}']");
            await Assertions.Expect(row).ToContainTextAsync("503 Service Unavailable");
            await Assertions.Expect(page.Locator("#job-table tr[data-job]")).ToHaveCountAsync(1);
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "jobs-filtered.png"), FullPage = true });

            // Job detail: payload, error, stack trace; then retry with confirmation.
            await row.Locator("a").First.ClickAsync();
            await Assertions.Expect(page.Locator("#job-state")).ToHaveTextAsync("discarded");
            await Assertions.Expect(page.Locator("#payload")).ToContainTextAsync("INV-2041");
            await Assertions.Expect(page.Locator("#job")).ToContainTextAsync("The payment provider answered 503 Service Unavailable.");
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "job-discarded.png"), FullPage = true });

            host.Jobs.Healthy = true;
            await page.ClickAsync("button[data-job-action=retry]");
            await Assertions.Expect(page.Locator("#confirm")).ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "job-retry-confirm.png") });
            await page.ClickAsync("#confirm-yes");
            await Assertions.Expect(page.Locator("#job-state")).ToHaveTextAsync("completed", new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("#job")).ToContainTextAsync("attempt 2 started");
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "job-completed.png"), FullPage = true });

            // Queues page: the paused queue and its resume button.
            await page.ClickAsync("nav a[data-view=queues]");
            await Assertions.Expect(page.Locator("tr[data-queue=reports]")).ToContainTextAsync("paused");
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "queues.png"), FullPage = true });

            Assert.Equal(JobState.Completed, (await schema.Client.GetJobAsync(failed, Ct))!.State);
            Assert.Empty(pageErrors);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Operator_DeletesAllJobsFilteredById_TypingTheCount_AndOnlyThatJobGoes()
    {
        var chromium = FindChromium();
        await using var schema = await fixture.CreateSchemaAsync();
        var ids = new List<JobId>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await schema.EnqueueAsync(DemoJobs.Ok, $$"""{"order":{{i}}}"""));
        }

        var target = ids[11];
        await using var host = await DashboardHost.StartAsync(schema, static o => { o.AllowActions = true; o.RefreshInterval = TimeSpan.FromMilliseconds(500); }, realPort: true);
        using var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("queues-chromium-");
        try
        {
            await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = LaunchArgs,
                ViewportSize = new ViewportSize { Width = 1360, Height = 900 },
            });
            Assertions.SetDefaultExpectTimeout(30_000);
            browser.SetDefaultTimeout(30_000);
            var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
            var pageErrors = new List<string>();
            page.PageError += (_, error) => pageErrors.Add(error);

            // Unfiltered, "Delete all" names the whole schema and its count; cancelled, nothing goes.
            await page.GotoAsync(host.Address + "/queues/#/jobs");
            await Assertions.Expect(page.Locator("#job-table tr[data-job]")).ToHaveCountAsync(20);
            await page.ClickAsync("button[data-bulk=delete][data-scope=filter]");
            await Assertions.Expect(page.Locator("#confirm-text")).ToHaveTextAsync("Delete 20 jobs in the whole schema (no filter is set)?");
            await page.ClickAsync("#confirm-no");
            await Assertions.Expect(page.Locator("#confirm")).ToBeHiddenAsync();

            // Filtered by id to one job: the confirmation counts one and wants it typed.
            await page.FillAsync("#filters input[name=id]", target.ToString());
            await page.ClickAsync("#filters button[type=submit]");
            await Assertions.Expect(page.Locator("#job-table tr[data-job]")).ToHaveCountAsync(1);
            await page.ClickAsync("button[data-bulk=delete][data-scope=filter]");
            await Assertions.Expect(page.Locator("#confirm-text")).ToHaveTextAsync($"Delete 1 job matching id = {target}?");
            await Assertions.Expect(page.Locator("#confirm-expected")).ToHaveTextAsync("1");
            await Assertions.Expect(page.Locator("#confirm-yes")).ToBeDisabledAsync();
            await page.FillAsync("#confirm-input", "20");
            await Assertions.Expect(page.Locator("#confirm-yes")).ToBeDisabledAsync();
            await page.FillAsync("#confirm-input", "1");
            await Assertions.Expect(page.Locator("#confirm-yes")).ToBeEnabledAsync();
            Directory.CreateDirectory(ScreenshotDirectory);
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "jobs-delete-confirm.png") });
            await page.ClickAsync("#confirm-yes");
            await Assertions.Expect(page.Locator("#toast")).ToHaveTextAsync("delete: 1 job(s).");
            await Assertions.Expect(page.Locator("#jobs")).ToContainTextAsync("No job matches.");

            Assert.Null(await schema.Client.GetJobAsync(target, Ct));
            Assert.Equal(19, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs"));
            Assert.Empty(pageErrors);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Operator_SeesALostNode_AStaleRunningJob_NoLeader_AndABurstOfFailuresByReason()
    {
        var chromium = FindChromium();
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.ScalarAsync<int>("WITH n AS (INSERT INTO {s}.nodes (name, seen_at) VALUES ('node-gone', now() - interval '10 minutes') RETURNING 1) SELECT count(*)::int FROM n");
        var stale = await schema.EnqueueAsync(DemoJobs.Ok);
        await schema.ScalarAsync<int>(
            "WITH u AS (UPDATE {s}.jobs SET state = 'running', attempt = 1, attempted_at = now() - interval '20 minutes', attempted_by = 'node-gone', heartbeat_at = now() - interval '20 minutes' WHERE id = $1 RETURNING 1) SELECT count(*)::int FROM u",
            stale.Value);
        await schema.InsertFailureBurstAsync();
        await using var host = await DashboardHost.StartAsync(schema, static o => o.RefreshInterval = TimeSpan.FromMilliseconds(500), realPort: true);
        using var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("queues-chromium-");
        try
        {
            await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = LaunchArgs,
                ViewportSize = new ViewportSize { Width = 1360, Height = 900 },
            });
            Assertions.SetDefaultExpectTimeout(30_000);
            browser.SetDefaultTimeout(30_000);
            var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
            var pageErrors = new List<string>();
            page.PageError += (_, error) => pageErrors.Add(error);

            await page.GotoAsync(host.Address + "/queues/");
            await Assertions.Expect(page.Locator("#warnings .warning").First).ToContainTextAsync("No process holds the maintenance lease");
            await Assertions.Expect(page.Locator("#warnings")).ToContainTextAsync("Node 'node-gone' has not been seen");
            await Assertions.Expect(page.Locator("tr[data-node=node-gone] .badge.lost")).ToHaveTextAsync("lost");
            Directory.CreateDirectory(ScreenshotDirectory);
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "overview-liveness.png"), FullPage = true });

            await page.GotoAsync(host.Address + "/queues/#/jobs?state=running");
            await Assertions.Expect(page.Locator($"tr[data-job='{stale}'] .badge.stale")).ToHaveTextAsync("stale");
            // Read-only: no action is offered anywhere.
            await Assertions.Expect(page.Locator("#bulk")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator("input[data-select]")).ToHaveCountAsync(0);
            await page.GotoAsync(host.Address + $"/queues/#/jobs/{stale}");
            await Assertions.Expect(page.Locator("#job")).ToContainTextAsync("node-gone");
            await Assertions.Expect(page.Locator("#job .badge.stale")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("button[data-job-action]")).ToHaveCountAsync(0);

            // Failures: one row per reason with exact counts; a count links to the discarded jobs of its queue and job name
            // that finished in the window (the list does not filter by message).
            await page.ClickAsync("nav a[data-view=failures]");
            var reasons = page.Locator("#failure-table tr[data-reason]");
            await Assertions.Expect(reasons).ToHaveCountAsync(3);
            await Assertions.Expect(reasons.Nth(0)).ToContainTextAsync("1,850");
            await Assertions.Expect(reasons.Nth(0)).ToContainTextAsync("card # declined");
            await Assertions.Expect(reasons.Nth(1)).ToContainTextAsync("provider answered # for order #");
            await Assertions.Expect(reasons.Nth(2)).ToContainTextAsync("300");
            await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "failures.png"), FullPage = true });
            await reasons.Nth(2).Locator("a").ClickAsync();
            await Assertions.Expect(page.Locator("#job-table tr[data-job]")).ToHaveCountAsync(50);
            await Assertions.Expect(page.Locator("#filters input[name=finishedFrom]")).Not.ToHaveValueAsync("");
            Assert.Empty(pageErrors);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    /// <summary>The Chromium to drive: <c>QUEUES_CHROMIUM</c>, else <c>chromium</c> on the PATH. Missing fails the test with the fix.</summary>
    private static string FindChromium()
    {
        if (Environment.GetEnvironmentVariable("QUEUES_CHROMIUM") is { Length: > 0 } configured)
        {
            return configured;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in (string[])["chromium", "chromium-browser"])
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        Assert.Fail("The browser test needs Chromium and found none on the PATH. Install it (Debian/Ubuntu: sudo apt-get install -y chromium) or set QUEUES_CHROMIUM to its executable.");
        return "";
    }
}
