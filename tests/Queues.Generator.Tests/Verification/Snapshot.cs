using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Queues.Generator.Tests.Verification;

/// <summary>
/// A small stand-in for Verify (not in the NuGet mirror this repo builds from): each generated file is compared to
/// <c>Snapshots/{Test}.{hintName}.verified.cs</c> in the source tree, with the generator version scrubbed.
/// On a mismatch the actual text is written next to it as <c>.received.cs</c> and the test fails;
/// with <c>QUEUES_ACCEPT_SNAPSHOTS=1</c> the actual text becomes the verified file instead. Snapshot changes are
/// reviewed like code.
/// </summary>
internal static partial class Snapshot
{
    public const string AcceptVariable = "QUEUES_ACCEPT_SNAPSHOTS";

    private const string VerifiedSuffix = ".verified.cs";
    private const string ReceivedSuffix = ".received.cs";

    /// <summary>The Snapshots folder of this project's source directory.</summary>
    public static string Directory { get; } = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(ThisFile()))!, "Snapshots");

    private static bool Accept => Environment.GetEnvironmentVariable(AcceptVariable) == "1";

    /// <summary>Compares every file <paramref name="run"/> generated with the snapshots of <paramref name="testName"/>.</summary>
    public static void Verify(GeneratorRun run, [CallerMemberName] string testName = "")
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            Assert.Fail($"The snapshot folder '{Directory}' does not exist; tests read snapshots from the source tree.");
        }

        Assert.NotEmpty(run.Sources);
        var failures = new List<string>();
        var expectedFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (hintName, text) in run.Sources)
        {
            var verified = Path.Combine(Directory, $"{testName}.{hintName}{VerifiedSuffix}");
            var received = Path.Combine(Directory, $"{testName}.{hintName}{ReceivedSuffix}");
            expectedFiles.Add(verified);
            var actual = Normalize(Scrub(text));

            if (Accept)
            {
                File.WriteAllText(verified, actual, Utf8NoBom);
                File.Delete(received);
                continue;
            }

            if (!File.Exists(verified))
            {
                File.WriteAllText(received, actual, Utf8NoBom);
                failures.Add($"{hintName}: no verified snapshot; the output is in {received}.");
                continue;
            }

            var expected = Normalize(File.ReadAllText(verified));
            if (expected == actual)
            {
                File.Delete(received);
                continue;
            }

            File.WriteAllText(received, actual, Utf8NoBom);
            failures.Add($"{hintName}: differs from the verified snapshot. {FirstDifference(expected, actual)}" + Environment.NewLine +
                $"    diff \"{verified}\" \"{received}\"");
        }

        foreach (var stale in System.IO.Directory.GetFiles(Directory, $"{testName}.*{VerifiedSuffix}").Where(f => !expectedFiles.Contains(f)))
        {
            if (Accept)
            {
                File.Delete(stale);
            }
            else
            {
                failures.Add($"{Path.GetFileName(stale)}: verified, but the generator no longer produces that file.");
            }
        }

        if (failures.Count > 0)
        {
            Assert.Fail($"Snapshots of {testName} do not match:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", failures) +
                Environment.NewLine + $"Review the .received.cs files; if they are right, re-run with {AcceptVariable}=1 and review the diff.");
        }
    }

    /// <summary>Replaces the generator version in <c>[GeneratedCode]</c> so snapshots survive version bumps.</summary>
    public static string Scrub(string text) => GeneratedCodeVersion().Replace(text, "${prefix}FIXED_VERSION\"");

    /// <summary>The inverse of <see cref="Scrub"/>: the version the generator under test writes.</summary>
    public static string Unscrub(string text)
        => text.Replace("\"FIXED_VERSION\"", "\"" + GeneratorVersion + "\"", StringComparison.Ordinal);

    private static string GeneratorVersion { get; } =
        typeof(JobGenerator).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    private static string Normalize(string text) => text.ReplaceLineEndings("\n");

    private static string FirstDifference(string expected, string actual)
    {
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        for (var i = 0; i < Math.Max(expectedLines.Length, actualLines.Length); i++)
        {
            var e = i < expectedLines.Length ? expectedLines[i] : "(end of file)";
            var a = i < actualLines.Length ? actualLines[i] : "(end of file)";
            if (e != a)
            {
                return $"First difference at line {i + 1}:" + Environment.NewLine + $"    verified: {e.Trim()}" + Environment.NewLine + $"    received: {a.Trim()}";
            }
        }

        return "";
    }

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private static string ThisFile([CallerFilePath] string path = "") => path;

    [GeneratedRegex("""(?<prefix>GeneratedCode\("Queues\.Generator", ")[^"]*"(?=\))""")]
    private static partial Regex GeneratedCodeVersion();
}
