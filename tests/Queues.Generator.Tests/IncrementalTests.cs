using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

/// <summary>
/// Named edits of the handler set with the run reasons each tracked step must report afterwards, on a driver kept
/// across the edit the way the IDE keeps it [Mapperly <c>IncrementalGeneratorRunReasons</c>, LoggerMessage tests].
/// </summary>
public sealed class IncrementalTests
{
    [Fact]
    public void AddingAnUnrelatedType_DoesNotRegenerate() => Verify(IncrementalEdit.UnrelatedTypeAdded);

    [Fact]
    public void ChangingAHandlerBody_ReparsesItsJobToAnUnchangedSpec() => Verify(IncrementalEdit.HandlerBodyChanged);

    [Fact]
    public void AddingAPayloadProperty_RegeneratesOnlyThatJob() => Verify(IncrementalEdit.PayloadPropertyAdded);

    private static void Verify(IncrementalEdit edit)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var before = GeneratorHarness.Run(TestSources.HandlerSet);

        var driver = before.Driver.RunGenerators(edit.Apply(before.Input), cancellationToken);
        var result = driver.GetRunResult();
        GeneratorHarness.AssertGeneratorDidNotThrow(result, result.Diagnostics);
        GeneratorHarness.AssertStepOutputsHoldNoCompilerObjects(result);
        var steps = GeneratorHarness.TrackedSteps(result);

        var editedJobSeen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (step, expected) in edit.Reasons)
        {
            var outputs = steps[step].SelectMany(static s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            foreach (var (value, reason) in outputs)
            {
                var job = JobName(step, value);
                IncrementalStepRunReason[] allowed = expected;
                if (edit.EditedJob is { } edited && job == edited.Name)
                {
                    allowed = [step switch
                    {
                        TrackingNames.ParseJobs => edited.ParseJobs,
                        TrackingNames.ResolveJobs => edited.ResolveJobs,
                        _ => edited.Specs,
                    }];
                    editedJobSeen.Add(step);
                }

                Assert.True(allowed.Contains(reason),
                    $"{edit.Name}: step '{step}'{(job is null ? "" : $" job '{job}'")} was {reason}; expected {string.Join(" or ", allowed)}.");
            }
        }

        if (edit.EditedJob is not null)
        {
            Assert.Equal([TrackingNames.ParseJobs, TrackingNames.ResolveJobs, TrackingNames.Specs], editedJobSeen.Order(StringComparer.Ordinal));
        }

        var after = result.Results[0].GeneratedSources.ToDictionary(static s => s.HintName, static s => s.SourceText.ToString(), StringComparer.Ordinal);
        Assert.Equal(before.Sources.Keys, after.Keys.Order(StringComparer.Ordinal));
        var changed = after.Where(pair => before.Sources[pair.Key] != pair.Value).Select(static pair => pair.Key).ToList();
        Assert.Equal(edit.ChangedFiles, changed);
    }

    /// <summary>
    /// The job an output of ParseJobs (a ParseResult), ResolveJobs (a ResolvedJob) or Specs (a JobSpec) is about; all
    /// internal, so by reflection.
    /// </summary>
    private static string? JobName(string step, object value) => step switch
    {
        TrackingNames.Specs => Property<string>(value, "Name"),
        TrackingNames.ParseJobs or TrackingNames.ResolveJobs => Property<string>(Property<object>(value, "Identity"), "Name"),
        _ => null,
    };

    private static T? Property<T>(object? value, string name)
        where T : class
        => (T?)value?.GetType().GetProperty(name)!.GetValue(value);
}

/// <summary>The reasons the ParseJobs, ResolveJobs and Specs outputs of the job an edit touched must have.</summary>
internal sealed record EditedJob(string Name, IncrementalStepRunReason ParseJobs, IncrementalStepRunReason ResolveJobs, IncrementalStepRunReason Specs);

/// <summary>
/// One edit and what it may cause: for each tracked step the reasons its outputs may have (except those of
/// <see cref="EditedJob"/>, which must be exactly its own), and the generated files whose text changes.
/// </summary>
internal sealed record IncrementalEdit(
    string Name,
    Func<CSharpCompilation, CSharpCompilation> Apply,
    IReadOnlyDictionary<string, IncrementalStepRunReason[]> Reasons,
    EditedJob? EditedJob,
    string[] ChangedFiles)
{
    private static readonly IncrementalStepRunReason[] Reused = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    /// <summary>A new file with an unrelated type: nothing a job depends on changed, and nothing is regenerated.</summary>
    public static IncrementalEdit UnrelatedTypeAdded { get; } = new(
        "unrelated type added",
        static compilation => compilation.AddSyntaxTrees(GeneratorHarness.Parse(TestSources.Code("""
            public sealed class Unrelated
            {
                public int Value { get; set; }
            }
            """, "TestApp.Other"), "Unrelated.cs")),
        new Dictionary<string, IncrementalStepRunReason[]>
        {
            [TrackingNames.ParseJobs] = Reused,
            [TrackingNames.ResolveJobs] = Reused,
            [TrackingNames.Specs] = Reused,
            [TrackingNames.Registry] = Reused,
            [TrackingNames.Settings] = Reused,
            [TrackingNames.SerializerContexts] = Reused,
            [TrackingNames.ReferencedJobs] = Reused,
        },
        EditedJob: null,
        ChangedFiles: []);

    /// <summary>
    /// A handler's body changes: its job is parsed again to an equal result (Unchanged), so no spec changes and nothing
    /// is regenerated. Parse results of jobs declared below the edit may be Modified, because they carry their (moved)
    /// location for diagnostics; the specs they feed carry none.
    /// </summary>
    public static IncrementalEdit HandlerBodyChanged { get; } = new(
        "handler body changed",
        static compilation => Edit(compilation, "Test1.cs", "return ValueTask.CompletedTask;", "return new ValueTask(Task.Delay(1, cancellationToken));"),
        new Dictionary<string, IncrementalStepRunReason[]>
        {
            [TrackingNames.ParseJobs] = [.. Reused, IncrementalStepRunReason.Modified],
            [TrackingNames.ResolveJobs] = [.. Reused, IncrementalStepRunReason.Modified],
            [TrackingNames.Specs] = Reused,
            [TrackingNames.Registry] = Reused,
            [TrackingNames.Settings] = Reused,
            [TrackingNames.SerializerContexts] = Reused,
            [TrackingNames.ReferencedJobs] = Reused,
        },
        new EditedJob("nightlyCleanup", ParseJobs: IncrementalStepRunReason.Unchanged, ResolveJobs: IncrementalStepRunReason.Cached, Specs: IncrementalStepRunReason.Cached),
        ChangedFiles: []);

    /// <summary>A payload gains a property: that job's spec is Modified, and only that job's file is regenerated.</summary>
    public static IncrementalEdit PayloadPropertyAdded { get; } = new(
        "payload property added",
        static compilation => Edit(compilation, "Test0.cs",
            "public sealed record ReportRequest(DateOnly Week, string Recipient);",
            "public sealed record ReportRequest(DateOnly Week, string Recipient, bool IncludeCharts);"),
        new Dictionary<string, IncrementalStepRunReason[]>
        {
            [TrackingNames.ParseJobs] = Reused,
            [TrackingNames.ResolveJobs] = Reused,
            [TrackingNames.Specs] = Reused,
            [TrackingNames.Registry] = Reused,
            [TrackingNames.Settings] = Reused,
            [TrackingNames.SerializerContexts] = Reused,
            [TrackingNames.ReferencedJobs] = Reused,
        },
        new EditedJob("weeklyReport", ParseJobs: IncrementalStepRunReason.Modified, ResolveJobs: IncrementalStepRunReason.Modified, Specs: IncrementalStepRunReason.Modified),
        ChangedFiles: ["Queues.Job.WeeklyReport.g.cs"]);

    public override string ToString() => Name;

    private static CSharpCompilation Edit(CSharpCompilation compilation, string path, string oldText, string newText)
    {
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        var text = tree.GetText().ToString();
        Assert.Contains(oldText, text, StringComparison.Ordinal);
        return compilation.ReplaceSyntaxTree(tree, GeneratorHarness.Parse(text.Replace(oldText, newText, StringComparison.Ordinal), path));
    }
}
