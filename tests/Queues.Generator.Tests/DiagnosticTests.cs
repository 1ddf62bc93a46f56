using Queues.Tests.Shared;
using Microsoft.CodeAnalysis;
using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

/// <summary>
/// The generator's own diagnostics, written inline as <c>{|QUE000n:span|}</c> markup. Each input also holds a valid
/// job, so the registry is generated and shows that the invalid job was left out of it.
/// </summary>
public sealed class DiagnosticTests
{
    [Fact]
    public void AsyncVoidHandler_ReportsQUE0001_AndGeneratesNothingForIt() => Verify("""
        public sealed class Handlers
        {
            [Job("fireAndForget")]
            public async void {|QUE0001:RunAsync|}(CancellationToken cancellationToken)
            {
                await Task.Delay(1, cancellationToken);
            }
        }
        """, "FireAndForget");

    [Fact]
    public void HandlerReturningTaskOfInt_ReportsQUE0001_AndGeneratesNothingForIt() => Verify("""
        public static class Handlers
        {
            [Job("count")]
            public static Task<int> {|QUE0001:CountAsync|}(CancellationToken cancellationToken) => Task.FromResult(1);
        }
        """, "Count");

    [Fact]
    public void JobNamesWithTheSamePascalName_ReportQUE0002OnBoth_AndGenerateNeither() => Verify("""
        public static class Handlers
        {
            [Job("a-b")]
            public static void {|QUE0002:First|}(CancellationToken cancellationToken)
            {
            }

            [Job("aB")]
            public static void {|QUE0002:Second|}(CancellationToken cancellationToken)
            {
            }
        }
        """, "AB");

    [Fact]
    public void PayloadWithObjectProperty_ReportsQUE0003OnThatProperty_AndGeneratesNothingForIt() => Verify("""
        public sealed class Envelope
        {
            public string Kind { get; set; } = "";

            public object {|QUE0003:Body|} { get; set; } = new();
        }

        public static class Handlers
        {
            [Job("envelope")]
            public static void Handle(Envelope payload)
            {
            }
        }
        """, "Envelope");

    [Fact]
    public void MaxAttemptsOfZero_ReportsQUE0004_AndGeneratesNothingForIt() => Verify("""
        public static class Handlers
        {
            [Job("retryNever", MaxAttempts = 0)]
            public static void {|QUE0004:Handle|}(CancellationToken cancellationToken)
            {
            }
        }
        """, "RetryNever");

    private static void Verify(string markup, string invalidPascalName)
    {
        var (source, expected) = MarkupParser.Parse(TestSources.Code(markup + TestSources.HealthyJob), defaultId: null, path: "Test0.cs");
        var run = GeneratorHarness.Run(source);

        DiagnosticAssert.AssertMatch(expected, run.GeneratorDiagnostics, run.Input.SyntaxTrees.ToList());
        Assert.All(run.GeneratorDiagnostics, static d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));

        Assert.Equal(["Queues.Job.Healthy.g.cs", "Queues.Jobs.g.cs"], run.Sources.Keys);
        Assert.All(run.Sources.Values, text =>
        {
            Assert.DoesNotContain($"Enqueue{invalidPascalName}Async", text, StringComparison.Ordinal);
            Assert.DoesNotContain($"{invalidPascalName}Job.", text, StringComparison.Ordinal);
        });
    }
}
