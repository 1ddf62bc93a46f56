using Microsoft.EntityFrameworkCore;

namespace WebApi;

/// <summary>A user of the sample; the onboarding job sets <see cref="OnboardedAt"/>.</summary>
public sealed class User
{
    public Guid Id { get; set; }

    public required string Email { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? OnboardedAt { get; set; }
}

/// <summary>The application's own EF Core context; the job handler uses it too, inside the job's transaction.</summary>
public sealed class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<User>(user =>
        {
            user.ToTable("webapi_users");
            user.Property(static u => u.Id).HasColumnName("id");
            user.Property(static u => u.Email).HasColumnName("email");
            user.Property(static u => u.CreatedAt).HasColumnName("created_at");
            user.Property(static u => u.OnboardedAt).HasColumnName("onboarded_at");
        });

    /// <summary>The sample's one table (a real application would use EF Core migrations).</summary>
    public const string CreateTable = """
        CREATE TABLE IF NOT EXISTS webapi_users (
            id uuid PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL, onboarded_at timestamptz)
        """;
}
