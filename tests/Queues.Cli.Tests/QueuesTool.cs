using System.Diagnostics;
using System.Reflection;

namespace Queues.Cli.Tests;

/// <summary>Runs the built <c>queues</c> tool (<c>dotnet Queues.Cli.dll</c>) as a process and captures what it wrote.</summary>
public static class QueuesTool
{
    public static string Path { get; } = typeof(QueuesTool).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(static a => a.Key == "QueuesCli").Value!;

    public static async Task<ToolResult> RunAsync(IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        Assert.True(File.Exists(Path), $"The queues tool was not built at {Path}.");
        var start = new ProcessStartInfo("dotnet")
        {
            // Input redirected (and closed at once): the tool runs as in a script or CI, never waiting for an answer.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Directory.CreateTempSubdirectory("queues-cli-").FullName,
        };
        start.ArgumentList.Add(Path);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("QUEUES_CONNECTION_STRING");
        start.Environment.Remove("CI");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }
}

public sealed record ToolResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";

    public ToolResult ShouldSucceed()
    {
        Assert.True(ExitCode == 0, ToString());
        return this;
    }
}
