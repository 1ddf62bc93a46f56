using Microsoft.CodeAnalysis;
using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

public sealed class GeneratedOutputTests
{
    [Fact]
    public void HandlerSet_GeneratesJobsThatCompileWithoutWarnings()
    {
        var run = GeneratorHarness.Run(TestSources.HandlerSet);

        Assert.Empty(run.GeneratorDiagnostics);
        run.AssertOutputHasNoWarningsOrErrors();
        Snapshot.Verify(run);
    }

    [Theory]
    [InlineData("userOnboarding", "EnqueueUserOnboardingAsync")]
    [InlineData("billing.invoice-paid", "EnqueueBillingInvoicePaidAsync")]
    [InlineData("user_onboarding2", "EnqueueUserOnboarding2Async")]
    public void JobName_BecomesPascalCaseEnqueueMethodName(string jobName, string methodName)
    {
        var run = GeneratorHarness.Run(TestSources.Code($$"""
            public static class Handlers
            {
                [Job("{{jobName}}")]
                public static void Handle(CancellationToken cancellationToken)
                {
                }
            }
            """));

        var jobs = run.Output.GetTypeByMetadataName("TestApp.Jobs");
        Assert.NotNull(jobs);
        var enqueue = Assert.Single(jobs.GetMembers(methodName).OfType<IMethodSymbol>());
        Assert.Equal(["transaction", "options", "cancellationToken"], enqueue.Parameters.Select(static p => p.Name));
        Assert.Contains($"[global::Queues.JobEnqueueMethod(\"{jobName}\")]", run.Source($"Queues.Job.{methodName[7..^5]}.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void RootNamespace_FallsBackToAssemblyName_WhenTheBuildPropertyIsMissing()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Code(TestSources.HealthyJob)).WithAssemblyName("Fallback.App");

        var run = GeneratorHarness.Run(compilation, rootNamespace: null);

        Assert.NotNull(run.Output.GetTypeByMetadataName("Fallback.App.Jobs"));
    }
}
