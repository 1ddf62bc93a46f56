using System.Globalization;
using System.Reflection;
using System.Text;

namespace Queues.ReliabilityTests.Infrastructure;

/// <summary>
/// The figures a test measured: written to the test output and appended to one report file per run,
/// <c>artifacts/reliability/report.md</c> under the repository (or QUEUES_RELIABILITY_REPORT), which docs/guarantees.md quotes.
/// Worker logs go beside it, under <c>logs/</c>.
/// </summary>
public static class Figures
{
    private static readonly Lock Gate = new();
    private static bool _started;

    public static string ReportPath
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("QUEUES_RELIABILITY_REPORT");
            return string.IsNullOrWhiteSpace(configured) ? Path.Combine(ArtifactsDirectory, "report.md") : Path.GetFullPath(configured);
        }
    }

    public static string ArtifactsDirectory { get; } = Path.Combine(RepositoryRoot() ?? AppContext.BaseDirectory, "artifacts", "reliability");

    public static string LogDirectory(string name) => Directory.CreateDirectory(Path.Combine(ArtifactsDirectory, "logs", name)).FullName;

    public static string Format(double value, string format = "N0") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    /// <summary>Writes one test's figures as a markdown table under <paramref name="title"/>.</summary>
    public static void Write(ReliabilityServer server, string title, IEnumerable<(string Figure, string Value)> rows)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"## {title}\n\n| figure | value |\n| --- | ---: |\n");
        foreach (var (figure, value) in rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {figure} | {value} |\n");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(text.ToString());
        lock (Gate)
        {
            var path = ReportPath;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (!_started)
            {
                _started = true;
                File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture,
                    $"# Reliability suite figures\n\n{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, PostgreSQL {server.Version}, " +
                    $".NET {Environment.Version}. Produced by `dotnet test tests/Queues.ReliabilityTests`.\n\n"));
            }

            File.AppendAllText(path, text.Append('\n').ToString());
        }
    }

    private static string? RepositoryRoot()
    {
        var embedded = typeof(Figures).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(static a => a.Key == "RepositoryRoot")?.Value;
        if (!string.IsNullOrWhiteSpace(embedded) && Directory.Exists(embedded))
        {
            return embedded;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Queues.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
