using Microsoft.CodeAnalysis;
using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

/// <summary>
/// The generator runs on every keystroke, so on code that does not compile it must neither crash nor pile its own
/// diagnostics onto the compiler's: the output has exactly the errors the input had.
/// </summary>
public sealed class BrokenCodeTests
{
    [Fact]
    public void HandlerWithMissingPayloadType_LeavesOnlyTheCompilersError() => Verify(
        TestSources.Code("""
            public static class Handlers
            {
                [Job("ghost")]
                public static void Handle(MissingPayload payload)
                {
                }
            }
            """ + TestSources.HealthyJob),
        expectedCompilerErrors: ["CS0246"]);

    [Fact]
    public void PayloadWithMissingMemberType_LeavesOnlyTheCompilersError() => Verify(
        TestSources.Code("""
            public sealed record Order(Guid Id, MissingType Detail);

            public static class Handlers
            {
                [Job("order")]
                public static void Handle(Order payload)
                {
                }
            }
            """ + TestSources.HealthyJob),
        expectedCompilerErrors: ["CS0246"]);

    [Fact]
    public void FileWithSyntaxError_DoesNotStopOtherJobsFromGenerating() => Verify(
        [
            TestSources.Code(TestSources.HealthyJob),
            TestSources.Code("""
                public static class Broken
                {
                    [Job("broken")]
                    public static void Handle(CancellationToken cancellationToken
                    {
                        var x = ;
                    }
                }
                """, "TestApp.Broken"),
        ],
        expectedCompilerErrors: ["CS1026", "CS1525"]);

    private static void Verify(string source, string[] expectedCompilerErrors) => Verify([source], expectedCompilerErrors);

    private static void Verify(string[] sources, string[] expectedCompilerErrors)
    {
        // The harness has already failed the test on a generator exception (a result's Exception, CS8785 or AD0001)
        // and on any error the generated code added to the input's.
        var run = GeneratorHarness.Run(sources);

        Assert.All(run.Result.Results, static r => Assert.Null(r.Exception));
        Assert.DoesNotContain(run.GeneratorDiagnostics, static d => d.Id is "CS8785" or "AD0001");
        Assert.Empty(run.GeneratorDiagnostics);

        var errors = run.OutputDiagnostics.Where(static d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.All(errors, error => Assert.Contains(error.Location.SourceTree, run.Input.SyntaxTrees));
        Assert.Equal(expectedCompilerErrors, errors.Select(static d => d.Id).Distinct().Order(StringComparer.Ordinal));

        Assert.Contains("Queues.Job.Healthy.g.cs", run.Sources.Keys);
    }
}
