using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
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

    [Fact]
    public async Task HandlerSet_GeneratesExactlyTheSnapshotFiles_UnderTheTestFramework()
    {
        var test = new GeneratorTest();
        foreach (var source in TestSources.HandlerSet)
        {
            test.TestState.Sources.Add(source);
        }

        const string prefix = nameof(HandlerSet_GeneratesJobsThatCompileWithoutWarnings) + ".";
        foreach (var file in System.IO.Directory.GetFiles(Snapshot.Directory, prefix + "*.verified.cs").Order(StringComparer.Ordinal))
        {
            var hintName = Path.GetFileName(file)[prefix.Length..^".verified.cs".Length];
            var text = Snapshot.Unscrub(File.ReadAllText(file));
            test.TestState.GeneratedSources.Add((typeof(JobGenerator), hintName, SourceText.From(text, Encoding.UTF8)));
        }

        Assert.Equal(5, test.TestState.GeneratedSources.Count);
        await test.RunAsync(TestContext.Current.CancellationToken);
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
        var enqueue = EnqueueOverloads.WithTransaction(jobs, methodName);
        Assert.Equal(["transaction", "options", "cancellationToken"], enqueue.Parameters.Select(static p => p.Name));
        Assert.Contains($"[global::Queues.JobEnqueueMethod(\"{jobName}\")]", run.Source($"Queues.Job.{methodName[7..^5]}.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void AttributeOptions_BecomeTheJobDefinition_WithUniqueByMappedToJsonNames()
    {
        var run = GeneratorHarness.Run(TestSources.Code("""
            using System.Text.Json.Serialization;

            public sealed record Signup(Guid UserId, [property: JsonPropertyName("mail")] string Email, int Plan);

            public static class Handlers
            {
                [Job("signup", Queue = "email", Priority = -2, MaxAttempts = 3, TimeoutSeconds = 90, RetryBaseDelaySeconds = 2.5,
                    UniqueBy = new[] { nameof(Signup.UserId), nameof(Signup.Email) }, UniqueStates = UniqueStates.Completed | UniqueStates.Discarded,
                    Cron = "*/15  9-17 * * 1-5")]
                public static void Handle(Signup payload)
                {
                }
            }
            """));
        Assert.Empty(run.GeneratorDiagnostics);
        run.AssertOutputHasNoWarningsOrErrors();

        using var loaded = LoadedAssembly.Emit(run);
        var definition = (JobDefinition)loaded.Type("TestApp.Jobs+SignupJob").GetField("Definition")!.GetValue(null)!;

        Assert.Equal(("signup", "email", (short)-2, 3), (definition.Name, definition.Queue, definition.Priority, definition.MaxAttempts));
        Assert.Equal(TimeSpan.FromSeconds(90), definition.Timeout);
        Assert.Equal(["userId", "mail"], definition.UniqueBy);
        Assert.Equal(UniqueStates.Completed | UniqueStates.Discarded, definition.UniqueStates);
        Assert.Equal("*/15 9-17 * * 1-5", definition.Cron);
        Assert.NotNull(definition.RetryDelay);
        Assert.InRange(definition.RetryDelay(1).TotalSeconds, 2.5, 2.75);
        Assert.InRange(definition.RetryDelay(2).TotalSeconds, 40, 44);
    }

    [Fact]
    public void NoOptions_LeaveTheDefinitionsDefaults()
    {
        var run = GeneratorHarness.Run(TestSources.Code(TestSources.HealthyJob));

        using var loaded = LoadedAssembly.Emit(run);
        var definition = (JobDefinition)loaded.Type("TestApp.Jobs+HealthyJob").GetField("Definition")!.GetValue(null)!;

        Assert.Equal((JobDefinition.DefaultQueue, JobDefinition.DefaultMaxAttempts), (definition.Queue, definition.MaxAttempts));
        Assert.Null(definition.Timeout);
        Assert.Null(definition.RetryDelay);
        Assert.Empty(definition.UniqueBy);
        Assert.Equal(UniqueStates.Unfinished, definition.UniqueStates);
        Assert.Null(definition.Cron);
    }

    [Theory]
    [InlineData("0 0 * * *")]
    [InlineData("*/5 * * * *")]
    [InlineData("0 9-17/2 1,15 1-12 0-6")]
    [InlineData("59 23 31 12 6")]
    [InlineData("5/10 * * * *")]
    public void ValidCron_IsAccepted(string cron)
    {
        var run = GeneratorHarness.Run(TestSources.Code($$"""
            public static class Handlers
            {
                [Job("periodic", Cron = "{{cron}}")]
                public static void Handle(CancellationToken cancellationToken)
                {
                }
            }
            """));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains($"Cron = \"{cron}\",", run.Source("Queues.Job.Periodic.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryJob_GetsAManyMethod_MarkedAsAnEnqueueMethod()
    {
        var run = GeneratorHarness.Run(TestSources.HandlerSet);

        var jobs = run.Output.GetTypeByMetadataName("TestApp.Jobs")!;
        var withPayload = EnqueueOverloads.WithTransaction(jobs, "EnqueueWeeklyReportManyAsync");
        Assert.Equal(["transaction", "payloads", "options", "cancellationToken"], withPayload.Parameters.Select(static p => p.Name));
        Assert.Equal("System.Collections.Generic.IEnumerable<TestApp.Payloads.ReportRequest>", withPayload.Parameters[1].Type.ToDisplayString());
        Assert.Equal("System.Threading.Tasks.Task<int>", withPayload.ReturnType.ToDisplayString());
        Assert.Equal("weeklyReport", Assert.Single(withPayload.GetAttributes(), static a => a.AttributeClass?.Name == "JobEnqueueMethodAttribute").ConstructorArguments[0].Value);

        var withoutPayload = EnqueueOverloads.WithTransaction(jobs, "EnqueueNightlyCleanupManyAsync");
        Assert.Equal(["transaction", "count", "options", "cancellationToken"], withoutPayload.Parameters.Select(static p => p.Name));
    }

    [Fact]
    public void EnqueueMethods_DocumentTheJobNameQueueAndTransaction()
    {
        var run = GeneratorHarness.Run(TestSources.HandlerSet);

        var jobs = run.Output.GetTypeByMetadataName("TestApp.Jobs")!;
        foreach (var method in jobs.GetMembers().OfType<IMethodSymbol>().Where(static m => m.Name.StartsWith("Enqueue", StringComparison.Ordinal)).Where(EnqueueOverloads.TakesTransaction))
        {
            var xml = method.GetDocumentationCommentXml(cancellationToken: TestContext.Current.CancellationToken);
            Assert.False(string.IsNullOrEmpty(xml), $"{method.Name} has no XML docs.");
            Assert.Contains("transaction", xml, StringComparison.Ordinal);
            Assert.Contains("rolls back", xml, StringComparison.Ordinal);
        }

        Assert.Contains("Enqueues job <c>userOnboarding</c> (queue <c>email</c>", run.Source("Queues.Job.UserOnboarding.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void RootNamespace_FallsBackToAssemblyName_WhenTheBuildPropertyIsMissing()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Code(TestSources.HealthyJob)).WithAssemblyName("Fallback.App");

        var run = GeneratorHarness.Run(compilation, rootNamespace: null);

        Assert.NotNull(run.Output.GetTypeByMetadataName("Fallback.App.Jobs"));
    }
}
