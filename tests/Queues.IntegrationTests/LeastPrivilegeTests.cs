using Npgsql;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

/// <summary>
/// The grants docs/operations.md documents, exactly: an owner role migrates; an application role holding only data rights
/// checks the schema, enqueues and runs every kind of job (plain, unique, periodic, and maintenance as the leader); an
/// enqueue-only role enqueues.
/// </summary>
public sealed class LeastPrivilegeTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RolesWithTheDocumentedGrants_MigrateEnqueueAndRunEveryKindOfJob()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var (owner, app, enqueuer) = ("qo_" + suffix, "qa_" + suffix, "qe_" + suffix);
        var name = "lp_" + suffix;
        await using var schema = new TestSchema(fixture, name);
        await ExecuteAsync(fixture.DataSource, $"""
            CREATE ROLE {owner} LOGIN; CREATE ROLE {app} LOGIN; CREATE ROLE {enqueuer} LOGIN;
            GRANT CREATE ON DATABASE postgres TO {owner};
            """);
        try
        {
            // The owner migrates: it creates the schema and everything in it.
            await using var ownerSource = NpgsqlDataSource.Create(As(owner));
            Assert.Equal(Internal.Migrations.LatestVersion, await TestMode.CreateClient(ownerSource, name).MigrateAsync(Ct));

            // docs/operations.md, "Grants": run by the owner after migrating (default privileges cover later migrations).
            await ExecuteAsync(ownerSource, $"""
                GRANT USAGE ON SCHEMA {name} TO {app}, {enqueuer};
                GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {name} TO {app};
                ALTER DEFAULT PRIVILEGES IN SCHEMA {name} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app};
                GRANT SELECT, INSERT ON {name}.jobs TO {enqueuer};
                """);

            // The application role: a current schema is checked with reads only, so MigrateAsync and MigrateOnStart work.
            await using var appSource = NpgsqlDataSource.Create(As(app));
            var appClient = TestMode.CreateClient(appSource, name);
            Assert.Equal(0, await appClient.MigrateAsync(Ct));

            // The enqueue-only role enqueues plain and unique jobs.
            await using var enqueuerSource = NpgsqlDataSource.Create(As(enqueuer));
            var enqueuerJobs = new Jobs(TestMode.CreateClient(enqueuerSource, name));
            await using var connection = await enqueuerSource.OpenConnectionAsync(Ct);
            JobId plain, unique, scheduled;
            await using (var transaction = await connection.BeginTransactionAsync(Ct))
            {
                plain = (await enqueuerJobs.EnqueueItCountAsync(transaction, new CountPayload(1), cancellationToken: Ct)).Id;
                unique = (await enqueuerJobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(Guid.NewGuid(), "a"), cancellationToken: Ct)).Id;
                Assert.True((await enqueuerJobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(Guid.Empty, "b"), cancellationToken: Ct)) is { IsDuplicate: false });
                scheduled = (await enqueuerJobs.EnqueueItCountAsync(transaction, new CountPayload(2), new EnqueueOptions { Delay = TimeSpan.FromMilliseconds(300) }, Ct)).Id;
                Assert.Equal(2, await enqueuerJobs.EnqueueItCountManyAsync(transaction, [new CountPayload(3), new CountPayload(4)], cancellationToken: Ct));
                await transaction.CommitAsync(Ct);
            }

            // A stale running job for the leader to rescue, a finished one for retention to delete.
            var stale = new JobId(await schema.ScalarAsync<long>("""
                INSERT INTO {jobs} (name, payload, state, attempt, attempted_at, heartbeat_at, attempted_by)
                VALUES ('it.count', '{"sequence": 5}', 'running', 1, now() - interval '1 hour', now() - interval '1 hour', 'gone') RETURNING id
                """));
            var old = new JobId(await schema.ScalarAsync<long>(
                "INSERT INTO {jobs} (name, state, finalized_at) VALUES ('it.count', 'completed', now() - interval '2 days') RETURNING id"));

            // The worker runs as the application role, alone, so it leads maintenance (and the periodic job).
            var cron = new JobDefinition("lp.everyMinute") { Cron = "* * * * *" };
            var cronRuns = 0;
            var recorder = new Recorder();
            await using var worker = await TestWorker.StartAsync(schema, recorder, o =>
            {
                o.ConnectionString = As(app);
                o.MigrateOnStart = true;
                o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
                o.RescueAfter = TimeSpan.FromMilliseconds(700);
            }, b => b.AddJob(cron, (_, _, _, _) =>
            {
                Interlocked.Increment(ref cronRuns);
                return ValueTask.CompletedTask;
            }));

            foreach (var id in new[] { plain, unique, scheduled, stale })
            {
                await schema.WaitForStateAsync(id, JobState.Completed);
            }

            await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE id = $1", old.Value) == 0);
            await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref cronRuns) >= 1), TimeSpan.FromSeconds(90));
            await worker.StopAsync();
            Assert.DoesNotContain(worker.Logs.Entries, static e => e.Message.Contains("permission denied", StringComparison.Ordinal)
                || (e.Exception?.Message.Contains("permission denied", StringComparison.Ordinal) ?? false));
        }
        finally
        {
            await ExecuteAsync(fixture.DataSource, $"DROP SCHEMA IF EXISTS {name} CASCADE; DROP OWNED BY {owner}, {app}, {enqueuer}; DROP ROLE {owner}, {app}, {enqueuer};");
        }
    }

    private string As(string role) => new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Username = role, Password = null }.ConnectionString;

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
