using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests.EntityFrameworkCore;

public sealed class EntityFrameworkCoreTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnqueueInTheDbContextsTransaction_CommitsWithTheEntity()
    {
        await using var schema = await CreateSchemaAsync();
        await using var db = NewContext(schema);
        var user = new User { Id = Guid.NewGuid(), Email = "ada@example.com" };

        await using (var transaction = await db.Database.BeginTransactionAsync(Ct))
        {
            db.Users.Add(user);
            await db.SaveChangesAsync(Ct);
            await schema.Jobs.EnqueueEfOnboardAsync(db.Database.GetNpgsqlTransaction(), new Onboard(user.Id, false), cancellationToken: Ct);
            await transaction.CommitAsync(Ct);
        }

        Assert.Equal(1L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE name = 'ef.onboard'"));
        Assert.Equal(1L, await schema.ScalarAsync<long>($"SELECT count(*) FROM \"{schema.Name}\".users"));
    }

    [Fact]
    public async Task EnqueueInTheDbContextsTransaction_RollsBackWithTheEntity()
    {
        await using var schema = await CreateSchemaAsync();
        await using var db = NewContext(schema);

        await using (var transaction = await db.Database.BeginTransactionAsync(Ct))
        {
            db.Users.Add(new User { Id = Guid.NewGuid(), Email = "ada@example.com" });
            await db.SaveChangesAsync(Ct);
            await schema.Jobs.EnqueueEfOnboardAsync(db.Database.GetNpgsqlTransaction(), new Onboard(Guid.NewGuid(), false), cancellationToken: Ct);
            await transaction.RollbackAsync(Ct);
        }

        Assert.Equal(0L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));
        Assert.Equal(0L, await schema.ScalarAsync<long>($"SELECT count(*) FROM \"{schema.Name}\".users"));
    }

    [Fact]
    public async Task GetNpgsqlTransaction_WithoutATransaction_SaysHowToBeginOne()
    {
        await using var schema = await CreateSchemaAsync();
        await using var db = NewContext(schema);

        var error = Assert.Throws<InvalidOperationException>(() => db.Database.GetNpgsqlTransaction());
        Assert.Contains("BeginTransactionAsync", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HandlersDbContext_CommitsWithTheJob_OrRollsBackWithItsFailure(bool fail)
    {
        await using var schema = await CreateSchemaAsync();
        var user = await AddUserAsync(schema);
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueEfOnboardAsync(tx, new Onboard(user, fail), new EnqueueOptions { MaxAttempts = 1 })))[0];
        var recorder = new Recorder();

        await using var worker = await StartWorkerAsync(schema, recorder);
        var job = await schema.WaitForStateAsync(id, fail ? JobState.Discarded : JobState.Completed);

        Assert.Single(recorder.Runs); // The handler saved its change before returning or throwing.
        Assert.Equal(!fail, await schema.ScalarAsync<bool>($"SELECT onboarded_at IS NOT NULL FROM \"{schema.Name}\".users WHERE id = $1", user));
        Assert.Equal(fail ? 1 : 0, job.Errors.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HandlersDapperWrite_CommitsWithTheJob_OrRollsBackWithItsFailure(bool fail)
    {
        await using var schema = await CreateSchemaAsync();
        var user = await AddUserAsync(schema);
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueEfOnboardDapperAsync(tx, new Onboard(user, fail), new EnqueueOptions { MaxAttempts = 1 })))[0];
        var recorder = new Recorder();

        await using var worker = await StartWorkerAsync(schema, recorder);
        await schema.WaitForStateAsync(id, fail ? JobState.Discarded : JobState.Completed);

        Assert.Single(recorder.Runs);
        Assert.Equal(!fail, await schema.ScalarAsync<bool>($"SELECT onboarded_at IS NOT NULL FROM \"{schema.Name}\".users WHERE id = $1", user));
    }

    [Fact]
    public async Task UseJobTransactionAsync_OnAContextThatOpenedItsOwnConnection_Refuses()
    {
        await using var schema = await CreateSchemaAsync();
        await using var db = NewContext(schema);
        await db.Database.OpenConnectionAsync(Ct);
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(fixture.ConnectionString);
        var context = JobContextFor(dataSource);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => context.UseJobTransactionAsync(db, Ct));
        Assert.Contains("before its first query", error.Message, StringComparison.Ordinal);
    }

    private static JobContext JobContextFor(Npgsql.NpgsqlDataSource dataSource)
        => new(new JobId(1), "ef.onboard", "default", 1, 1, DateTimeOffset.UtcNow, new Internal.HandlerTransaction(dataSource));

    private async Task<TestSchema> CreateSchemaAsync()
    {
        var schema = await fixture.CreateSchemaAsync();
        await using var command = fixture.DataSource.CreateCommand(
            $"CREATE TABLE \"{schema.Name}\".users (id uuid PRIMARY KEY, email text NOT NULL, onboarded_at timestamptz)");
        await command.ExecuteNonQueryAsync(Ct);
        return schema;
    }

    private static async Task<Guid> AddUserAsync(TestSchema schema)
    {
        await using var db = NewContext(schema);
        var user = new User { Id = Guid.NewGuid(), Email = "ada@example.com" };
        db.Users.Add(user);
        await db.SaveChangesAsync(Ct);
        return user.Id;
    }

    private static void Configure(DbContextOptionsBuilder options, string connectionString)
        => options.UseNpgsql(connectionString).ReplaceService<IModelCacheKeyFactory, ShopModelCacheKeyFactory>();

    private static ShopContext NewContext(TestSchema schema)
    {
        var options = new DbContextOptionsBuilder<ShopContext>();
        Configure(options, schema.Fixture.ConnectionString);
        return new ShopContext(options.Options, new ShopSchema(schema.Name));
    }

    private static Task<TestWorker> StartWorkerAsync(TestSchema schema, Recorder recorder)
        => TestWorker.StartAsync(schema, recorder, jobs: queues =>
        {
            queues.Services.AddSingleton(new ShopSchema(schema.Name));
            queues.Services.AddDbContext<ShopContext>(options => Configure(options, schema.Fixture.ConnectionString));
        });
}
