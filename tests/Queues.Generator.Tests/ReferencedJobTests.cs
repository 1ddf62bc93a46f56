using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

/// <summary>
/// A shared contracts project declares a job; another project that references it can enqueue the job without its
/// handler, through enqueue methods generated into its own <c>Jobs</c> that delegate to the contracts project's.
/// </summary>
public sealed class ReferencedJobTests
{
    private static readonly Lazy<MetadataReference> s_contracts = new(static () =>
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Code("""
            public sealed record Receipt(Guid OrderId, decimal Total);

            public static class ReceiptJobs
            {
                [Job("sendReceipt", Queue = "email")]
                public static void Send(Receipt payload)
                {
                }

                [Job("rebuildIndex")]
                public static Task RebuildAsync(CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """, "Contracts.Billing")).WithAssemblyName("Contracts");
        var run = GeneratorHarness.Run(compilation, rootNamespace: "Contracts");
        run.AssertOutputHasNoWarningsOrErrors();
        using var image = new MemoryStream();
        Assert.True(run.Output.Emit(image, cancellationToken: TestContext.Current.CancellationToken).Success);
        return MetadataReference.CreateFromImage(image.ToArray());
    });

    [Fact]
    public void JobOfAReferencedAssembly_GetsEnqueueMethods_ThatDelegateToThatAssembly()
    {
        var run = GeneratorHarness.Run(Consumer(TestSources.HealthyJob));
        Assert.Empty(run.GeneratorDiagnostics);
        run.AssertOutputHasNoWarningsOrErrors();

        var jobs = run.Output.GetTypeByMetadataName("TestApp.Jobs")!;
        var single = EnqueueOverloads.WithTransaction(jobs, "EnqueueSendReceiptAsync");
        Assert.Equal("Contracts.Billing.Receipt", single.Parameters[1].Type.ToDisplayString());
        EnqueueOverloads.WithTransaction(jobs, "EnqueueSendReceiptManyAsync");
        Assert.Equal(["transaction", "options", "cancellationToken"], EnqueueOverloads.WithTransaction(jobs, "EnqueueRebuildIndexAsync").Parameters.Select(static p => p.Name));
        Assert.All(jobs.GetMembers().OfType<IMethodSymbol>().Where(static m => m.Name.StartsWith("Enqueue", StringComparison.Ordinal)),
            static m => Assert.Contains(m.GetAttributes(), static a => a.AttributeClass?.Name == "JobEnqueueMethodAttribute"));

        // The call inside goes to the contracts assembly's own generated method: its definition and serializer.
        var tree = run.Output.SyntaxTrees.Single(static t => t.FilePath.EndsWith("Queues.Job.SendReceipt.g.cs", StringComparison.Ordinal));
        var model = run.Output.GetSemanticModel(tree);
        var targets = tree.GetRoot(TestContext.Current.CancellationToken).DescendantNodes().OfType<InvocationExpressionSyntax>()
            .Select(i => (IMethodSymbol)model.GetSymbolInfo(i, TestContext.Current.CancellationToken).Symbol!)
            .ToList();
        Assert.Equal(
            ["EnqueueSendReceiptAsync", "EnqueueSendReceiptManyAsync", "EnqueueSendReceiptAsync", "EnqueueSendReceiptManyAsync"],
            targets.Select(static m => m.Name));
        Assert.Equal([true, true, false, false], targets.Select(EnqueueOverloads.TakesTransaction));
        Assert.All(targets, static m => Assert.Equal("Contracts", m.ContainingAssembly.Name));
    }

    [Fact]
    public void JobOfAReferencedAssembly_IsNotInTheDispatchTable()
    {
        var run = GeneratorHarness.Run(Consumer(TestSources.HealthyJob));

        var registry = run.Source("Queues.Jobs.g.cs");
        Assert.Contains("builder.AddJob(HealthyJob.Definition, HealthyJob.RunAsync);", registry, StringComparison.Ordinal);
        Assert.DoesNotContain("SendReceiptJob", registry, StringComparison.Ordinal);
        Assert.DoesNotContain("RebuildIndexJob", registry, StringComparison.Ordinal);
    }

    [Fact]
    public void LocalJobWithTheNameOfAReferencedOne_ReportsQUE0002_AndNeitherIsGenerated()
    {
        var run = GeneratorHarness.Run(Consumer(TestSources.HealthyJob + """

            public static class Local
            {
                [Job("SendReceipt")]
                public static void Send(CancellationToken cancellationToken)
                {
                }
            }
            """));

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("QUE0002", diagnostic.Id);
        Assert.Contains("referenced assembly 'Contracts'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.DoesNotContain("Queues.Job.SendReceipt.g.cs", run.Sources.Keys);
        Assert.Contains("Queues.Job.RebuildIndex.g.cs", run.Sources.Keys);
    }

    [Fact]
    public void AProjectWithOnlyReferencedJobs_StillGetsItsJobsClass()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Code("public sealed class Nothing { }")).AddReferences(s_contracts.Value);
        var driver = GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out _, TestContext.Current.CancellationToken);

        Assert.Empty(output.GetDiagnostics(TestContext.Current.CancellationToken).Where(static d => d.Severity == DiagnosticSeverity.Error));
        Assert.NotNull(output.GetTypeByMetadataName("TestApp.Jobs")?.GetMembers("EnqueueSendReceiptAsync").FirstOrDefault());
        Assert.Contains(driver.GetRunResult().GeneratedTrees, static t => t.FilePath.EndsWith("Queues.Jobs.g.cs", StringComparison.Ordinal));
    }

    private static Microsoft.CodeAnalysis.CSharp.CSharpCompilation Consumer(string body)
        => GeneratorHarness.CreateCompilation(TestSources.Code(body)).AddReferences(s_contracts.Value);
}
