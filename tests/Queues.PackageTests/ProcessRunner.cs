using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Queues.PackageTests;

/// <summary>The outcome of one process: its exit code and everything it wrote, stdout and stderr interleaved.</summary>
public sealed partial record ProcessResult(string Command, int ExitCode, string Output)
{
    /// <summary>
    /// The lines that report a warning with a code: the compiler's and MSBuild's "file(1,2): warning CS0000: …",
    /// NuGet's "warning NU0000: …" and the AOT compiler's "ILC : Trim analysis warning IL2026: …".
    /// </summary>
    public IReadOnlyList<string> Warnings => Output.Split('\n')
        .Where(static l => WarningCode().IsMatch(l))
        .Select(static l => l.Trim())
        .Distinct(StringComparer.Ordinal)
        .ToList();

    public override string ToString() => $"$ {Command}{Environment.NewLine}(exit code {ExitCode}){Environment.NewLine}{Output}";

    [GeneratedRegex(@"\bwarning [A-Z]{2,}[0-9]{3,}\b")]
    private static partial Regex WarningCode();
}

/// <summary>Runs a process with a deadline; on timeout the whole tree is killed and the output so far is kept.</summary>
internal static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var command = fileName + " " + string.Join(' ', start.ArgumentList);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return new ProcessResult(command, -1, Text(output) + $"{Environment.NewLine}(killed after {timeout})");
        }

        // WaitForExit without a timeout also waits for the redirected streams to be drained.
        process.WaitForExit();
        return new ProcessResult(command, process.ExitCode, Text(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
