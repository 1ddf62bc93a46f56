using Dapper;
using Microsoft.EntityFrameworkCore;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests.EntityFrameworkCore;

public sealed class User
{
    public Guid Id { get; set; }

    public required string Email { get; set; }

    public DateTimeOffset? OnboardedAt { get; set; }
}

/// <summary>The application's own context; each test's rows live in its schema (the context is built per schema).</summary>
public sealed class ShopContext(DbContextOptions<ShopContext> options, ShopSchema schema) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();

    public string SchemaName => schema.Name;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(schema.Name);
        modelBuilder.Entity<User>(user =>
        {
            user.ToTable("users");
            user.Property(static u => u.Id).HasColumnName("id");
            user.Property(static u => u.Email).HasColumnName("email");
            user.Property(static u => u.OnboardedAt).HasColumnName("onboarded_at");
        });
    }
}

/// <summary>The schema a <see cref="ShopContext"/> maps to; also its model cache key, so each test gets its own model.</summary>
public sealed record ShopSchema(string Name);

public sealed class ShopModelCacheKeyFactory : Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime)
        => context is ShopContext shop ? (shop.SchemaName, designTime) : (context.GetType(), designTime);
}

public sealed record Onboard(Guid UserId, bool Fail);

/// <summary>Handlers that write in the job's transaction through EF Core and through Dapper, then fail when asked.</summary>
public sealed class EfJobs(ShopContext db, ShopSchema schema, Recorder recorder)
{
    [Job("ef.onboard")]
    public async Task OnboardAsync(Onboard payload, JobContext context, CancellationToken cancellationToken)
    {
        await context.UseJobTransactionAsync(db, cancellationToken);
        var user = await db.Users.SingleAsync(u => u.Id == payload.UserId, cancellationToken);
        user.OnboardedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(cancellationToken);
        recorder.Record(context, payload);
        if (payload.Fail)
        {
            throw new InvalidOperationException("failed after saving");
        }
    }

    [Job("ef.onboardDapper")]
    public async Task OnboardWithDapperAsync(Onboard payload, JobContext context, CancellationToken cancellationToken)
    {
        var transaction = await context.GetTransactionAsync(cancellationToken);
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            $"UPDATE \"{schema.Name}\".users SET onboarded_at = now() WHERE id = @Id", new { Id = payload.UserId }, transaction, cancellationToken: cancellationToken));
        recorder.Record(context, payload);
        if (payload.Fail)
        {
            throw new InvalidOperationException("failed after saving");
        }
    }
}
