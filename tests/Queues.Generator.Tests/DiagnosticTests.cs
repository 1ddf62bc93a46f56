using Microsoft.CodeAnalysis.Testing;
using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

/// <summary>
/// The generator's own diagnostics, written inline as <c>{|QUE000n:span|}</c> markup. Each input also holds a valid
/// job, so the registry is generated and shows that the invalid job was left out of it.
/// </summary>
public sealed class DiagnosticTests
{
    [Fact]
    public Task AsyncVoidHandler_ReportsQUE0006_AndGeneratesNothingForIt() => VerifyAsync("""
        public sealed class Handlers
        {
            [Job("fireAndForget")]
            public async void {|QUE0006:RunAsync|}(CancellationToken cancellationToken)
            {
                await Task.Delay(1, cancellationToken);
            }
        }
        """, "FireAndForget");

    [Fact]
    public Task HandlerReturningTaskOfInt_ReportsQUE0001_AndGeneratesNothingForIt() => VerifyAsync("""
        public static class Handlers
        {
            [Job("count")]
            public static {|QUE0001:Task<int>|} CountAsync(CancellationToken cancellationToken) => Task.FromResult(1);
        }
        """, "Count");

    [Fact]
    public Task JobNamesWithTheSamePascalName_ReportQUE0002OnBoth_AndGenerateNeither() => VerifyAsync("""
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
    public Task PayloadWithObjectProperty_ReportsQUE0003OnThatProperty_AndGeneratesNothingForIt() => VerifyAsync("""
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
    public Task MaxAttemptsOfZero_ReportsQUE0004_AndGeneratesNothingForIt() => VerifyAsync("""
        public static class Handlers
        {
            [Job("retryNever", {|QUE0004:MaxAttempts = 0|})]
            public static void Handle(CancellationToken cancellationToken)
            {
            }
        }
        """, "RetryNever");

    [Fact]
    public Task JobNamesDifferingOnlyInCase_ReportQUE0002OnBoth_AndGenerateNeither() => VerifyAsync("""
        public static class Handlers
        {
            [Job("welcome")]
            public static void {|QUE0002:First|}(CancellationToken cancellationToken)
            {
            }

            [Job("Welcome")]
            public static void {|QUE0002:Second|}(CancellationToken cancellationToken)
            {
            }
        }
        """, "Welcome");

    [Fact]
    public Task SecondPayloadParameter_ReportsQUE0001OnThatParameter() => VerifyAsync("""
        public static class Handlers
        {
            [Job("twoPayloads")]
            public static void Handle(string first, int {|QUE0001:second|})
            {
            }
        }
        """, "TwoPayloads");

    [Fact]
    public Task HandlerTypeWithTwoEquallyLongConstructors_ReportsQUE0001() => VerifyAsync("""
        public sealed class Handlers
        {
            public Handlers(IServiceProvider services)
            {
            }

            public Handlers(string name)
            {
            }

            [Job("ambiguous")]
            public void {|QUE0001:Handle|}(CancellationToken cancellationToken)
            {
            }
        }
        """, "Ambiguous");

    [Fact]
    public Task HandlerInAPrivateNestedType_ReportsQUE0005() => VerifyAsync("""
        public static class Outer
        {
            private static class Hidden
            {
                [Job("hidden")]
                public static void {|QUE0005:Handle|}(CancellationToken cancellationToken)
                {
                }
            }
        }
        """, "Hidden");

    [Fact]
    public Task PrivateHandlerMethod_ReportsQUE0005() => VerifyAsync("""
        public static class Handlers
        {
            [Job("privateMethod")]
            private static void {|QUE0005:Handle|}(CancellationToken cancellationToken)
            {
            }
        }
        """, "PrivateMethod");

    [Fact]
    public Task HandlerInAFileLocalType_ReportsQUE0005() => VerifyAsync("""
        file static class Handlers
        {
            [Job("fileLocal")]
            public static void {|QUE0005:Handle|}(CancellationToken cancellationToken)
            {
            }
        }
        """, "FileLocal");

    [Fact]
    public Task NameThatIsNotAnIdentifier_ReportsQUE0004OnTheName() => VerifyAsync("""
        public static class Handlers
        {
            [Job({|QUE0004:"123-go"|})]
            public static void Handle(CancellationToken cancellationToken)
            {
            }
        }
        """, "123Go");

    [Fact]
    public Task NegativeTimeoutAndRetryDelay_ReportQUE0004OnEachArgument() => VerifyAsync("""
        public static class Handlers
        {
            [Job("badTimes", {|QUE0004:TimeoutSeconds = -1|}, {|QUE0004:RetryBaseDelaySeconds = -0.5|})]
            public static void Handle(CancellationToken cancellationToken)
            {
            }
        }
        """, "BadTimes");

    [Fact]
    public Task TimeoutOverThirtyDays_ReportsQUE0004() => VerifyAsync("""
        public static class Handlers
        {
            [Job("tooLong", {|QUE0004:TimeoutSeconds = 2592001|})]
            public static void Handle(CancellationToken cancellationToken)
            {
            }
        }
        """, "TooLong");

    [Theory]
    [InlineData("* * * *")]
    [InlineData("60 * * * *")]
    [InlineData("* 24 * * *")]
    [InlineData("* * 0 * *")]
    [InlineData("* * * 13 *")]
    [InlineData("* * * * 7")]
    [InlineData("*/0 * * * *")]
    [InlineData("5-1 * * * *")]
    [InlineData("@daily")]
    [InlineData("0 12 * JAN *")]
    [InlineData("1,,2 * * * *")]
    public Task InvalidCron_ReportsQUE0004OnTheCronArgument(string cron) => VerifyAsync($$"""
        public static class Handlers
        {
            [Job("badCron", {|QUE0004:Cron = "{{cron}}"|})]
            public static void Handle(CancellationToken cancellationToken)
            {
            }
        }
        """, "BadCron");

    [Fact]
    public Task UniqueByAnUnknownMember_ReportsQUE0004OnUniqueBy() => VerifyAsync("""
        public sealed record Signup(Guid UserId, string Email);

        public static class Handlers
        {
            [Job("signup", {|QUE0004:UniqueBy = new[] { "UserID" }|})]
            public static void Handle(Signup payload)
            {
            }
        }
        """, "Signup");

    [Fact]
    public Task UniqueByWithoutAPayload_ReportsQUE0004OnUniqueBy() => VerifyAsync("""
        public static class Handlers
        {
            [Job("tick", {|QUE0004:UniqueBy = new[] { "Id" }|})]
            public static void Handle(CancellationToken cancellationToken)
            {
            }
        }
        """, "Tick");

    [Fact]
    public Task UniqueStatesOutsideTheDefinedFlags_ReportsQUE0004OnUniqueStates() => VerifyAsync("""
        public sealed record Signup(Guid UserId);

        public static class Handlers
        {
            [Job("signup", UniqueBy = new[] { nameof(Signup.UserId) }, {|QUE0004:UniqueStates = (UniqueStates)8|})]
            public static void Handle(Signup payload)
            {
            }
        }
        """, "Signup");

    [Fact]
    public Task PropertyWithACustomConverter_ReportsQUE0003OnIt_NamingTheEscapeHatch() => VerifyMessageAsync("""
        public sealed class MoneyConverter : System.Text.Json.Serialization.JsonConverter<decimal>
        {
            public override decimal Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => 0;

            public override void Write(System.Text.Json.Utf8JsonWriter writer, decimal value, System.Text.Json.JsonSerializerOptions options)
            {
            }
        }

        public sealed class Invoice
        {
            [System.Text.Json.Serialization.JsonConverter(typeof(MoneyConverter))]
            public decimal {|QUE0003:Amount|} { get; set; }
        }

        public static class Handlers
        {
            [Job("invoice")]
            public static void Handle(Invoice payload)
            {
            }
        }
        """, "Invoice", "custom [JsonConverter]");

    [Fact]
    public Task PolymorphicPayload_ReportsQUE0003_NamingTheEscapeHatch() => VerifyMessageAsync("""
        [System.Text.Json.Serialization.JsonPolymorphic]
        [System.Text.Json.Serialization.JsonDerivedType(typeof(Circle), "circle")]
        public class Shape
        {
            public string Name { get; set; } = "";
        }

        public sealed class Circle : Shape
        {
            public double Radius { get; set; }
        }

        public static class Handlers
        {
            [Job("draw")]
            public static void {|QUE0003:Handle|}(Shape payload)
            {
            }
        }
        """, "Draw", "polymorphic");

    [Fact]
    public Task CyclicPayload_ReportsQUE0003OnTheMemberThatClosesTheCycle() => VerifyMessageAsync("""
        public sealed class TreeNode
        {
            public string Name { get; set; } = "";

            public List<TreeNode> {|QUE0003:Children|} { get; set; } = new();
        }

        public static class Handlers
        {
            [Job("tree")]
            public static void Handle(TreeNode payload)
            {
            }
        }
        """, "Tree", "cyclic");

    [Fact]
    public Task ExtensionDataMember_ReportsQUE0003OnIt() => VerifyMessageAsync("""
        public sealed class Open
        {
            [System.Text.Json.Serialization.JsonExtensionData]
            public Dictionary<string, object> {|QUE0003:Rest|} { get; set; } = new();
        }

        public static class Handlers
        {
            [Job("open")]
            public static void Handle(Open payload)
            {
            }
        }
        """, "Open", "[JsonExtensionData]");

    private static async Task VerifyMessageAsync(string markup, string invalidPascalName, string reason)
    {
        var run = await VerifyAsync(markup, invalidPascalName);
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(reason, message, StringComparison.Ordinal);
        Assert.Contains("JsonSerializerContext with [JsonSerializable(typeof(", message, StringComparison.Ordinal);
        Assert.EndsWith("docs/diagnostics/QUE0003.md", diagnostic.Descriptor.HelpLinkUri, StringComparison.Ordinal);
    }

    /// <summary>
    /// The test framework checks the markup's diagnostics (id, span, severity) and that nothing else is reported; the
    /// harness then runs the same source for the caching contract and the files generated.
    /// </summary>
    private static async Task<GeneratorRun> VerifyAsync(string markup, string invalidPascalName)
    {
        var code = TestSources.Code(markup + TestSources.HealthyJob);
        await new GeneratorTest { TestCode = code, TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck }.RunAsync(TestContext.Current.CancellationToken);

        var run = GeneratorHarness.Run(Markup.Strip(code));
        Assert.Equal(["Queues.Job.Healthy.g.cs", "Queues.Jobs.g.cs"], run.Sources.Keys);
        Assert.All(run.Sources.Values, text =>
        {
            Assert.DoesNotContain($"Enqueue{invalidPascalName}Async", text, StringComparison.Ordinal);
            Assert.DoesNotContain($"{invalidPascalName}Job.", text, StringComparison.Ordinal);
        });
        return run;
    }
}
