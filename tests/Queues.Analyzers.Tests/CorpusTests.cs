using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Queues.Analyzers.Tests.Verification;

namespace Queues.Analyzers.Tests;

/// <summary>
/// Real-world shapes in <c>Corpus/*.cases</c>: each case is a small complete method, headed <c>### name | expected ids or none</c>. Every
/// usage rule runs over all of them; the test prints precision and recall per rule and fails on any false positive or miss.
/// </summary>
public sealed class CorpusTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Data;
        using System.Data.Common;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using System.Transactions;
        using Dapper;
        using Microsoft.EntityFrameworkCore;
        using Microsoft.EntityFrameworkCore.Storage;
        using Npgsql;
        using App;
        using Queues;
        using IsolationLevel = System.Data.IsolationLevel;

        """;

    private static readonly DiagnosticAnalyzer[] Analyzers =
    [
        new EnqueueOutsideTransactionAnalyzer(),
        new DualWriteAnalyzer(),
        new EnqueueOnFinishedTransactionAnalyzer(),
        new EnqueueNotAwaitedAnalyzer(),
        new EnqueueOnOtherConnectionAnalyzer(),
        new ConcurrentEnqueueAnalyzer(),
    ];

    [Fact]
    public async Task EveryRuleHasNoFalsePositivesAndNoMissesOnTheCorpus()
    {
        var cases = CorpusCase.Load();
        var report = await RunAsync(cases);
        // Shown with the test's output (dotnet test --logger "console;verbosity=detailed") and kept beside the test assembly.
        TestContext.Current.TestOutputHelper?.WriteLine(report.Table);
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "corpus-report.txt"), report.Table, TestContext.Current.CancellationToken);
        Assert.True(report.Failures.Count == 0, report.Table + Environment.NewLine + string.Join(Environment.NewLine, report.Failures));
    }

    [Fact]
    public void TheCorpusHasAtLeastSixtyCorrectAndFortyWrongShapesAcrossEveryDataApi()
    {
        var cases = CorpusCase.Load();
        Assert.True(cases.Count(c => c.Expected.IsEmpty) >= 60, "correct shapes: " + cases.Count(c => c.Expected.IsEmpty));
        Assert.True(cases.Count(c => !c.Expected.IsEmpty) >= 40, "wrong shapes: " + cases.Count(c => !c.Expected.IsEmpty));
        foreach (var api in new[] { "ado", "dapper", "ef", "scope" })
        {
            Assert.Contains(cases, c => c.Name.StartsWith(api + "-", StringComparison.Ordinal) && c.Expected.IsEmpty);
            Assert.Contains(cases, c => c.Name.StartsWith(api + "-", StringComparison.Ordinal) && !c.Expected.IsEmpty);
        }

        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task TheScoringCountsAMissAndAFalsePositive()
    {
        // The harness itself must be able to fail: a wrong case marked correct and a correct case marked wrong.
        var cases = new[]
        {
            new CorpusCase("probe-miss", ImmutableHashSet<string>.Empty, """
                public async Task M(AppJobs jobs, NpgsqlConnection connection)
                {
                    await connection.ExecuteAsync("DELETE FROM carts");
                    await jobs.EnqueueCacheWarmupAsync(new CacheWarmup("carts"));
                }
                """),
            new CorpusCase("probe-false-alarm", ImmutableHashSet.Create("QUE0101"), """
                public async Task M(AppJobs jobs, NpgsqlTransaction tx) => await jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("k"));
                """),
        };

        var report = await RunAsync(cases);
        Assert.Equal(2, report.Failures.Count);
        Assert.Contains(report.Failures, f => f.Contains("probe-miss", StringComparison.Ordinal) && f.Contains("QUE0102", StringComparison.Ordinal));
        Assert.Contains(report.Failures, f => f.Contains("probe-false-alarm", StringComparison.Ordinal) && f.Contains("missed QUE0101", StringComparison.Ordinal));
    }

    private static async Task<(string Table, List<string> Failures)> RunAsync(IReadOnlyList<CorpusCase> cases)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new List<SyntaxTree>();
        foreach (var stub in new[] { TestSources.RuntimeStubs, TestSources.GeneratedEnqueueMethods, TestSources.EfCoreStubs, TestSources.DapperStubs })
        {
            trees.Add(CSharpSyntaxTree.ParseText(stub, parseOptions, path: "Stub" + trees.Count + ".cs", cancellationToken: cancellationToken));
        }

        for (var i = 0; i < cases.Count; i++)
        {
            var source = Usings + "namespace Corpus.Case" + i + ";\n\npublic sealed class Subject\n{\n" + cases[i].Code + "\n}\n";
            trees.Add(CSharpSyntaxTree.ParseText(source, parseOptions, path: cases[i].Name + ".cs", encoding: Encoding.UTF8, cancellationToken));
        }

        var compilation = CSharpCompilation.Create(
            "Corpus",
            trees,
            await TestReferences.ResolveAsync(cancellationToken),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The corpus does not compile:" + Environment.NewLine + string.Join(Environment.NewLine, errors));

        var exceptions = new List<string>();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), (e, _, d) => exceptions.Add(d + ": " + e), true, false);
        var diagnostics = await compilation.WithAnalyzers([.. Analyzers], options).GetAnalyzerDiagnosticsAsync(cancellationToken);
        Assert.True(exceptions.Count == 0, string.Join(Environment.NewLine, exceptions));

        var actualByCase = diagnostics
            .GroupBy(d => d.Location.SourceTree?.FilePath ?? string.Empty)
            .ToDictionary(g => g.Key, g => g.Select(d => d.Id).ToImmutableHashSet(), StringComparer.Ordinal);
        var failures = new List<string>();
        var rules = Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().Order(StringComparer.Ordinal).ToList();
        var counts = rules.ToDictionary(r => r, _ => (Tp: 0, Fp: 0, Fn: 0));
        foreach (var corpusCase in cases)
        {
            var actual = actualByCase.GetValueOrDefault(corpusCase.Name + ".cs", ImmutableHashSet<string>.Empty);
            foreach (var rule in rules)
            {
                var expected = corpusCase.Expected.Contains(rule);
                var reported = actual.Contains(rule);
                var (tp, fp, fn) = counts[rule];
                counts[rule] = (tp + (expected && reported ? 1 : 0), fp + (!expected && reported ? 1 : 0), fn + (expected && !reported ? 1 : 0));
                if (expected != reported)
                {
                    failures.Add(corpusCase.Name + ": " + (reported ? "false positive " : "missed ") + rule);
                }
            }
        }

        var table = new StringBuilder()
            .AppendLine($"Corpus: {cases.Count} cases ({cases.Count(c => c.Expected.IsEmpty)} correct, {cases.Count(c => !c.Expected.IsEmpty)} wrong)")
            .AppendLine("Rule     TP  FP  FN  Precision  Recall");
        foreach (var rule in rules)
        {
            var (tp, fp, fn) = counts[rule];
            table.AppendLine($"{rule}  {tp,3} {fp,3} {fn,3}  {Ratio(tp, tp + fp),9}  {Ratio(tp, tp + fn),6}");
        }

        return (table.ToString(), failures);
    }

    private static string Ratio(int numerator, int denominator) =>
        denominator == 0 ? "n/a" : (100.0 * numerator / denominator).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%";
}

/// <summary>One corpus case: a name (prefixed by its data API), the rule ids it must raise (empty: must stay silent), and its members.</summary>
internal sealed record CorpusCase(string Name, ImmutableHashSet<string> Expected, string Code)
{
    public static IReadOnlyList<CorpusCase> Load()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "Corpus");
        var cases = new List<CorpusCase>();
        foreach (var file in Directory.GetFiles(directory, "*.cases").Order(StringComparer.Ordinal))
        {
            string? header = null;
            var code = new StringBuilder();
            foreach (var line in File.ReadLines(file).Append("### end"))
            {
                if (!line.StartsWith("### ", StringComparison.Ordinal))
                {
                    code.AppendLine(line);
                    continue;
                }

                if (header is not null)
                {
                    var parts = header.Split('|', StringSplitOptions.TrimEntries);
                    var expected = parts[1] == "none"
                        ? ImmutableHashSet<string>.Empty
                        : parts[1].Split(',', StringSplitOptions.TrimEntries).ToImmutableHashSet(StringComparer.Ordinal);
                    cases.Add(new CorpusCase(parts[0], expected, code.ToString()));
                }

                header = line[4..];
                code.Clear();
            }
        }

        Assert.NotEmpty(cases);
        return cases;
    }
}
