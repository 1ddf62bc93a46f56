namespace Queues.DocsTests;

/// <summary>
/// The code a fragment is compiled inside, by its <c>&lt;!-- fragment: name --&gt;</c>. <c>{{code}}</c> is where the
/// block goes; <c>{{n}}</c> makes type names unique per block, since the fragments of one file compile together (so a
/// job one block declares can be enqueued in the next). Every fragment also gets <see cref="Usings"/> and <see cref="Support"/>.
/// </summary>
public static class Contexts
{
    /// <summary>What the blocks may use without a using directive of their own (besides the SDK's implicit usings).</summary>
    public const string Usings = """
        global using System.Text.Json.Serialization;
        global using Microsoft.AspNetCore.Builder;
        global using Microsoft.EntityFrameworkCore;
        global using Microsoft.Extensions.Configuration;
        global using Microsoft.Extensions.DependencyInjection;
        global using Microsoft.Extensions.Hosting;
        global using Npgsql;
        global using OpenTelemetry.Metrics;
        global using OpenTelemetry.Trace;
        global using Queues;
        global using Queues.Dashboard;

        """;

    /// <summary>The payload types and jobs the fragments refer to without declaring them.</summary>
    public const string Support = """
        public sealed record SendInvoice(Guid UserId, decimal Amount);
        public sealed record AccountSync(Guid AccountId, string Reason);
        public sealed record Credit(Guid AccountId, decimal Amount);
        public sealed record SendReceipt(Guid AccountId);
        public sealed record UserOnboarding(Guid UserId, string Email);
        public sealed record Welcome(Guid UserId);
        public sealed record Shape(string Kind, double Size);

        public static class SupportJobs
        {
            [Job("sendInvoice")]
            public static void SendInvoice(SendInvoice payload) { }

            [Job("sendReceipt")]
            public static void SendReceipt(SendReceipt payload) { }
        }

        public sealed class User
        {
            public Guid Id { get; set; }
            public string Email { get; set; } = "";
            public DateTimeOffset? OnboardedAt { get; set; }
        }

        public sealed class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
        {
            public DbSet<User> Users => Set<User>();
        }

        /// <summary>A stand-in for Hangfire's static API, for the "before" side of the migration guide.</summary>
        public static class BackgroundJob
        {
            public static string Enqueue<T>(System.Linq.Expressions.Expression<Action<T>> call) => call.ToString();
        }

        """;

    private const string Parameters =
        "Jobs jobs, QueuesClient client, NpgsqlDataSource dataSource, AppDbContext db, User user, Guid userId, Guid accountId, CancellationToken ct";

    public static IReadOnlyDictionary<string, string> Templates { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // Declarations at namespace level: types, attributes, records.
        ["types"] = "{{code}}",
        ["hangfire"] = "{{code}}",

        // Members of a handler class that gets the generated Jobs from its constructor.
        ["handler-class"] = "public sealed class DocHandlers{{n}}(Jobs jobs)\n{\n{{code}}\n}\n",

        // Program.cs of a generic host: `builder` is a HostApplicationBuilder.
        ["host"] = "public static class DocHost{{n}}\n{\n    public static async Task MainAsync(string[] args)\n    {\n        var builder = Host.CreateApplicationBuilder(args);\n{{code}}\n        await Task.CompletedTask;\n    }\n}\n",

        // Program.cs of a web app: `builder` is a WebApplicationBuilder; `app` exists when the block does not build it.
        ["web"] = "public static class DocWeb{{n}}\n{\n    public static async Task MainAsync(string[] args)\n    {\n        var builder = WebApplication.CreateBuilder(args);\n{{code}}\n        await Task.CompletedTask;\n    }\n\n    private static string Redact(string payload) => payload;\n}\n",
        ["web-app"] = "public static class DocWebApp{{n}}\n{\n    public static async Task MainAsync(string[] args)\n    {\n        var builder = WebApplication.CreateBuilder(args);\n        var app = builder.Build();\n{{code}}\n        await Task.CompletedTask;\n    }\n}\n",

        // Statements in an async method with the usual locals as parameters.
        ["statements"] = "public static class DocStatements{{n}}\n{\n    public static async Task RunAsync(" + Parameters + ")\n    {\n{{code}}\n    }\n}\n",

        // The same inside an open transaction: `connection` and `tx`.
        ["transaction"] = "public static class DocTransaction{{n}}\n{\n    public static async Task RunAsync(" + Parameters + ", NpgsqlConnection connection, NpgsqlTransaction tx)\n    {\n{{code}}\n    }\n}\n",
    };

    /// <summary>
    /// Blocks of pages this change may not edit, with their context given here instead of by a marker in the page
    /// (file and block ordinal → context). New pages mark their fragments in the page itself.
    /// </summary>
    public static IReadOnlyDictionary<(string File, int Ordinal), string> Unmarked { get; } = new Dictionary<(string, int), string>
    {
        [("docs/dashboard.md", 0)] = "web",
        [("docs/entity-framework-core.md", 0)] = "statements",
        [("docs/entity-framework-core.md", 1)] = "types",
        [("docs/observability.md", 0)] = "web-app",
        [("docs/serialization.md", 0)] = "types",
    };

    /// <summary>
    /// The docs' placeholder for "your value here": a <c>...</c> where an expression goes compiles as <c>default!</c>.
    /// </summary>
    public static string FillPlaceholders(string code) => code.Replace("= ...", "= default!", StringComparison.Ordinal)
        .Replace("(...)", "(default!)", StringComparison.Ordinal)
        .Replace("=> ...;", "=> default!;", StringComparison.Ordinal);
}
