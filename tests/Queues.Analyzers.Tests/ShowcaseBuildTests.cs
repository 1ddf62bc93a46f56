using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Queues.Analyzers.Tests;

/// <summary>
/// Builds samples/AnalyzerShowcase the way a user's project builds (generator and analyzers as analyzer references, real generated
/// enqueue methods) and checks that the compiler reports exactly the QUE01xx diagnostics its "// QUE01xx" comments announce.
/// </summary>
public sealed partial class ShowcaseBuildTests
{
    [Fact]
    public async Task Showcase_ReportsExactlyTheAnnouncedDiagnostics()
    {
        var repo = RepoRoot();
        var project = Path.Combine(repo, "samples", "AnalyzerShowcase");
        var expected = ExpectedDiagnostics(project);
        Assert.Equal(["QUE0101", "QUE0102", "QUE0103", "QUE0104", "QUE0105", "QUE0106"], expected.Select(e => e.Id).Distinct().Order(StringComparer.Ordinal));

        var artifacts = Path.Combine(Path.GetTempPath(), "queues-showcase-" + Guid.NewGuid().ToString("N"));
        var sarif = Path.Combine(artifacts, "showcase.sarif");
        try
        {
            Directory.CreateDirectory(artifacts);
            var (exitCode, output) = await RunAsync(
                "dotnet",
                ["build", Path.Combine(project, "AnalyzerShowcase.csproj"), "--artifacts-path", artifacts, "-nologo", $"-p:ErrorLog={sarif}%2Cversion=2.1"],
                repo);
            Assert.True(exitCode == 0, "dotnet build failed:" + Environment.NewLine + output);

            var actual = ReportedDiagnostics(sarif, project);
            Assert.Equal(expected, actual);
        }
        finally
        {
            try
            {
                Directory.Delete(artifacts, recursive: true);
            }
            catch (IOException)
            {
                // A build server may still hold a file for a moment; the temp folder is cleaned by the OS later.
            }
        }
    }

    private static List<(string Id, string Where)> ExpectedDiagnostics(string project)
    {
        var expected = new List<(string, string)>();
        foreach (var file in Directory.EnumerateFiles(project, "*.cs").Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (Announcement().Match(lines[i]) is { Success: true } match)
                {
                    expected.Add((match.Groups[1].Value, $"{Path.GetFileName(file)}:{i + 1}"));
                }
            }
        }

        return [.. expected.Order()];
    }

    private static List<(string Id, string Where)> ReportedDiagnostics(string sarif, string project)
    {
        using var log = JsonDocument.Parse(File.ReadAllText(sarif));
        var reported = new List<(string, string)>();
        foreach (var run in log.RootElement.GetProperty("runs").EnumerateArray())
        {
            foreach (var result in run.GetProperty("results").EnumerateArray())
            {
                var id = result.GetProperty("ruleId").GetString()!;
                if (!id.StartsWith("QUE01", StringComparison.Ordinal))
                {
                    continue;
                }

                var location = result.GetProperty("locations")[0].GetProperty("physicalLocation");
                var path = new Uri(location.GetProperty("artifactLocation").GetProperty("uri").GetString()!).LocalPath;
                Assert.StartsWith(project, path, StringComparison.Ordinal);
                reported.Add((id, $"{Path.GetFileName(path)}:{location.GetProperty("region").GetProperty("startLine").GetInt32()}"));
            }
        }

        return [.. reported.Order()];
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Queues.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Queues.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"//\s*(QUE01\d\d)\s*$")]
    private static partial Regex Announcement();
}
