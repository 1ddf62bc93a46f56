using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

/// <summary>
/// Beside each transactional enqueue method, an overload without a transaction for enqueues that write no data. The
/// two must never be ambiguous, also for a job without payload and for a payload that is itself a collection.
/// </summary>
public sealed class FireAndForgetTests
{
    private const string Handlers = """
        public static class Handlers
        {
            [Job("cleanup")]
            public static void Cleanup()
            {
            }

            [Job("tag")]
            public static void Tag(List<string> payload)
            {
            }
        }
        """;

    [Fact]
    public void EveryJob_GetsOverloadsWithoutATransaction_MarkedAsEnqueueMethods()
    {
        var run = GeneratorHarness.Run(TestSources.HandlerSet);
        run.AssertOutputHasNoWarningsOrErrors();

        var jobs = run.Output.GetTypeByMetadataName("TestApp.Jobs")!;
        var single = EnqueueOverloads.WithoutTransaction(jobs, "EnqueueWeeklyReportAsync");
        Assert.Equal(["payload", "options", "cancellationToken"], single.Parameters.Select(static p => p.Name));
        var many = EnqueueOverloads.WithoutTransaction(jobs, "EnqueueWeeklyReportManyAsync");
        Assert.Equal(["payloads", "options", "cancellationToken"], many.Parameters.Select(static p => p.Name));
        Assert.Equal(["count", "options", "cancellationToken"], EnqueueOverloads.WithoutTransaction(jobs, "EnqueueNightlyCleanupManyAsync").Parameters.Select(static p => p.Name));
        Assert.Equal(["options", "cancellationToken"], EnqueueOverloads.WithoutTransaction(jobs, "EnqueueNightlyCleanupAsync").Parameters.Select(static p => p.Name));
        Assert.All([single, many], static m => Assert.Equal("weeklyReport",
            Assert.Single(m.GetAttributes(), static a => a.AttributeClass?.Name == "JobEnqueueMethodAttribute").ConstructorArguments[0].Value));
    }

    [Fact]
    public void OverloadsWithoutATransaction_DocumentTheDualWrite()
    {
        var run = GeneratorHarness.Run(TestSources.HandlerSet);

        var jobs = run.Output.GetTypeByMetadataName("TestApp.Jobs")!;
        var methods = jobs.GetMembers().OfType<IMethodSymbol>().Where(static m => m.Name.StartsWith("Enqueue", StringComparison.Ordinal) && !EnqueueOverloads.TakesTransaction(m)).ToList();
        Assert.Equal(8, methods.Count);
        Assert.All(methods, static m => Assert.Contains("this is a dual write", m.GetDocumentationCommentXml(cancellationToken: TestContext.Current.CancellationToken), StringComparison.Ordinal));
    }

    [Fact]
    public void CallsWithAndWithoutATransaction_BindToTheMatchingOverload()
    {
        var run = GeneratorHarness.Run(TestSources.Code(Handlers), TestSources.Code("""
            public static class Callers
            {
                public static async Task CallAsync(TestApp.Jobs jobs, Npgsql.NpgsqlTransaction tx, CancellationToken ct)
                {
                    await jobs.EnqueueCleanupAsync(tx);
                    await jobs.EnqueueCleanupAsync(tx, cancellationToken: ct);
                    await jobs.EnqueueCleanupManyAsync(tx, 2);
                    await jobs.EnqueueTagAsync(tx, new List<string> { "a" });
                    await jobs.EnqueueTagManyAsync(tx, new[] { new List<string> { "a" } });
                    await jobs.EnqueueCleanupAsync();
                    await jobs.EnqueueCleanupAsync(cancellationToken: ct);
                    await jobs.EnqueueCleanupAsync(new EnqueueOptions());
                    await jobs.EnqueueCleanupManyAsync(2);
                    await jobs.EnqueueTagAsync(new List<string> { "a" });
                    await jobs.EnqueueTagManyAsync(new[] { new List<string> { "a" } });
                }
            }
            """, "TestApp.Callers"));
        run.AssertOutputHasNoWarningsOrErrors();

        var tree = run.Output.SyntaxTrees.Single(static t => t.FilePath == "Test1.cs");
        var model = run.Output.GetSemanticModel(tree);
        var targets = tree.GetRoot(TestContext.Current.CancellationToken).DescendantNodes().OfType<InvocationExpressionSyntax>()
            .Select(i => Assert.IsAssignableFrom<IMethodSymbol>(model.GetSymbolInfo(i, TestContext.Current.CancellationToken).Symbol))
            .ToList();
        Assert.Equal([true, true, true, true, true, false, false, false, false, false, false], targets.Select(EnqueueOverloads.TakesTransaction));
    }

    [Fact]
    public void AReferencedJob_GetsOverloadsWithoutATransaction_ThatDelegateToItsAssembly()
    {
        var contracts = GeneratorHarness.CreateCompilation(TestSources.Code(Handlers, "Contracts")).WithAssemblyName("Contracts");
        var built = GeneratorHarness.Run(contracts, rootNamespace: "Contracts");
        using var image = new MemoryStream();
        Assert.True(built.Output.Emit(image, cancellationToken: TestContext.Current.CancellationToken).Success);

        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(TestSources.Code(TestSources.HealthyJob)).AddReferences(MetadataReference.CreateFromImage(image.ToArray())));
        run.AssertOutputHasNoWarningsOrErrors();

        var jobs = run.Output.GetTypeByMetadataName("TestApp.Jobs")!;
        Assert.Equal(["payload", "options", "cancellationToken"], EnqueueOverloads.WithoutTransaction(jobs, "EnqueueTagAsync").Parameters.Select(static p => p.Name));
        Assert.Equal(["count", "options", "cancellationToken"], EnqueueOverloads.WithoutTransaction(jobs, "EnqueueCleanupManyAsync").Parameters.Select(static p => p.Name));
        Assert.Contains("=> new global::Contracts.Jobs(_client).EnqueueTagAsync(payload, options, cancellationToken);", run.Source("Queues.Job.Tag.g.cs"), StringComparison.Ordinal);
    }
}
