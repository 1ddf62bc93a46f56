using Microsoft.CodeAnalysis;
using Queues.Generator.Tests.Verification;
using Queues.Tests.Shared;

namespace Queues.Generator.Tests;

/// <summary>
/// Where the generated enqueue class and <c>AddJobs()</c> go: <c>Jobs</c> in the root namespace unless the MSBuild
/// properties say otherwise, <c>AddJobs()</c> beside the other builder extensions, and QUE0007 when the class cannot be
/// declared.
/// </summary>
public sealed class JobsClassTests
{
    private static readonly Dictionary<string, string> s_renamed = new()
    {
        ["QueuesJobsNamespace"] = "Acme.Queueing",
        ["QueuesJobsClassName"] = "BackgroundJobs",
    };

    [Fact]
    public void JobsClass_TakesItsNamespaceAndNameFromTheMSBuildProperties()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(TestSources.Code(TestSources.HealthyJob)), buildProperties: s_renamed);
        run.AssertOutputHasNoWarningsOrErrors();

        var jobs = run.Output.GetTypeByMetadataName("Acme.Queueing.BackgroundJobs");
        Assert.NotNull(jobs);
        EnqueueOverloads.WithTransaction(jobs, "EnqueueHealthyAsync");
        Assert.Null(run.Output.GetTypeByMetadataName("TestApp.Jobs"));
    }

    [Fact]
    public void AddJobs_IsFoundThroughMicrosoftExtensionsDependencyInjection_WithoutAUsingOfTheJobsNamespace()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(TestSources.Code(TestSources.HealthyJob), """
            using Microsoft.Extensions.DependencyInjection;
            using Queues;

            namespace Elsewhere;

            public static class Startup
            {
                public static QueuesBuilder Configure(IServiceCollection services) => services.AddQueues().AddJobs();
            }
            """), buildProperties: s_renamed);

        run.AssertOutputHasNoWarningsOrErrors();
        var extensions = run.Output.GetTypeByMetadataName("Microsoft.Extensions.DependencyInjection.QueuesJobsServiceCollectionExtensions");
        Assert.NotNull(extensions);
        Assert.Equal(Accessibility.Internal, extensions.DeclaredAccessibility);
    }

    [Fact]
    public void AProjectReferencingAnotherWithJobs_CallsItsOwnAddJobs_AndRegistersTheOtherThroughItsJobsClass()
    {
        var library = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(TestSources.Code("""
            public static class LibraryJobs
            {
                [Job("reindex")]
                public static void Reindex()
                {
                }
            }
            """, "Library")).WithAssemblyName("Library"), rootNamespace: "Library");
        using var image = new MemoryStream();
        Assert.True(library.Output.Emit(image, cancellationToken: TestContext.Current.CancellationToken).Success);

        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(TestSources.Code(TestSources.HealthyJob), """
            using Microsoft.Extensions.DependencyInjection;
            using Queues;

            public static class Startup
            {
                public static QueuesBuilder Configure(IServiceCollection services) => Library.Jobs.Register(services.AddQueues().AddJobs());
            }
            """).AddReferences(MetadataReference.CreateFromImage(image.ToArray())));

        run.AssertOutputHasNoWarningsOrErrors();
    }

    [Fact]
    public void ANamespaceNamedLikeTheJobsClass_ReportsQUE0007_AndGeneratesNothing()
    {
        var (source, expected) = MarkupParser.Parse("""
            namespace TestApp.{|QUE0007:Jobs|}
            {
                public sealed class Welcome
                {
                }
            }
            """, defaultId: null, path: "Test1.cs");

        var run = GeneratorHarness.Run(TestSources.Code(TestSources.HealthyJob), source);

        DiagnosticAssert.AssertMatch(expected, run.GeneratorDiagnostics, run.Input.SyntaxTrees.ToList());
        Assert.Contains("QueuesJobsClassName", Assert.Single(run.GeneratorDiagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void ANamespaceNamedLikeTheJobsClass_IsNoClash_OnceTheClassIsRenamed()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(TestSources.Code(TestSources.HealthyJob), """
            namespace TestApp.Jobs
            {
                public sealed class Welcome
                {
                }
            }
            """), buildProperties: new Dictionary<string, string> { ["QueuesJobsClassName"] = "JobQueue" });

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.NotNull(run.Output.GetTypeByMetadataName("TestApp.JobQueue"));
    }

    [Fact]
    public void ATypeNamedLikeTheJobsClass_ReportsQUE0007_UnlessItIsAPartialClass()
    {
        var (source, expected) = MarkupParser.Parse("""
            namespace TestApp
            {
                public sealed class {|QUE0007:Jobs|}
                {
                }
            }
            """, defaultId: null, path: "Test1.cs");
        var clash = GeneratorHarness.Run(TestSources.Code(TestSources.HealthyJob), source);
        DiagnosticAssert.AssertMatch(expected, clash.GeneratorDiagnostics, clash.Input.SyntaxTrees.ToList());

        var extended = GeneratorHarness.Run(TestSources.Code(TestSources.HealthyJob), """
            namespace TestApp
            {
                public sealed partial class Jobs
                {
                    public string Describe() => "extended by the user";
                }
            }
            """);
        Assert.Empty(extended.GeneratorDiagnostics);
        extended.AssertOutputHasNoWarningsOrErrors();
    }

    [Theory]
    [InlineData("QueuesJobsClassName", "class")]
    [InlineData("QueuesJobsNamespace", "Acme.1st")]
    public void AClassNameOrNamespaceThatIsNoIdentifier_ReportsQUE0007(string property, string value)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(TestSources.Code(TestSources.HealthyJob)),
            buildProperties: new Dictionary<string, string> { [property] = value });

        Assert.Equal("QUE0007", Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.Empty(run.Sources);
    }
}
