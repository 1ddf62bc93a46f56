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
    public void AsyncVoidHandler_ReportsQUE0006_AndGeneratesNothingForIt() => _ = Verify("""
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
    public void HandlerReturningTaskOfInt_ReportsQUE0001_AndGeneratesNothingForIt() => Verify("""
        public static class Handlers
        {
            [Job("count")]
            public static {|QUE0001:Task<int>|} CountAsync(CancellationToken cancellationToken) => Task.FromResult(1);
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
            [Job("retryNever", {|QUE0004:MaxAttempts = 0|})]
            public static void Handle(CancellationToken cancellationToken)
            {
            }
        }
        """, "RetryNever");

    [Fact]
    public void JobNamesDifferingOnlyInCase_ReportQUE0002OnBoth_AndGenerateNeither() => Verify("""
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
    public void SecondPayloadParameter_ReportsQUE0001OnThatParameter() => Verify("""
        public static class Handlers
        {
            [Job("twoPayloads")]
            public static void Handle(string first, int {|QUE0001:second|})
            {
            }
        }
        """, "TwoPayloads");

    [Fact]
    public void HandlerTypeWithTwoEquallyLongConstructors_ReportsQUE0001() => Verify("""
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
    public void HandlerInAPrivateNestedType_ReportsQUE0005() => Verify("""
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
    public void PrivateHandlerMethod_ReportsQUE0005() => Verify("""
        public static class Handlers
        {
            [Job("privateMethod")]
            private static void {|QUE0005:Handle|}(CancellationToken cancellationToken)
            {
            }
        }
        """, "PrivateMethod");

    [Fact]
    public void HandlerInAFileLocalType_ReportsQUE0005() => Verify("""
        file static class Handlers
        {
            [Job("fileLocal")]
            public static void {|QUE0005:Handle|}(CancellationToken cancellationToken)
            {
            }
        }
        """, "FileLocal");

    [Fact]
    public void NameThatIsNotAnIdentifier_ReportsQUE0004OnTheName() => Verify("""
        public static class Handlers
        {
            [Job({|QUE0004:"123-go"|})]
            public static void Handle(CancellationToken cancellationToken)
            {
            }
        }
        """, "123Go");

    [Fact]
    public void NegativeTimeoutAndRetryDelay_ReportQUE0004OnEachArgument() => Verify("""
        public static class Handlers
        {
            [Job("badTimes", {|QUE0004:TimeoutSeconds = -1|}, {|QUE0004:RetryBaseDelaySeconds = -0.5|})]
            public static void Handle(CancellationToken cancellationToken)
            {
            }
        }
        """, "BadTimes");

    [Fact]
    public void TimeoutOverThirtyDays_ReportsQUE0004() => Verify("""
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
    public void InvalidCron_ReportsQUE0004OnTheCronArgument(string cron) => Verify($$"""
        public static class Handlers
        {
            [Job("badCron", {|QUE0004:Cron = "{{cron}}"|})]
            public static void Handle(CancellationToken cancellationToken)
            {
            }
        }
        """, "BadCron");

    [Fact]
    public void UniqueByAnUnknownMember_ReportsQUE0004OnUniqueBy() => Verify("""
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
    public void UniqueByWithoutAPayload_ReportsQUE0004OnUniqueBy() => Verify("""
        public static class Handlers
        {
            [Job("tick", {|QUE0004:UniqueBy = new[] { "Id" }|})]
            public static void Handle(CancellationToken cancellationToken)
            {
            }
        }
        """, "Tick");

    [Fact]
    public void UniqueStatesOutsideTheDefinedFlags_ReportsQUE0004OnUniqueStates() => Verify("""
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
    public void PropertyWithACustomConverter_ReportsQUE0003OnIt_NamingTheEscapeHatch() => VerifyMessage("""
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
    public void PolymorphicPayload_ReportsQUE0003_NamingTheEscapeHatch() => VerifyMessage("""
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
    public void CyclicPayload_ReportsQUE0003OnTheMemberThatClosesTheCycle() => VerifyMessage("""
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
    public void ExtensionDataMember_ReportsQUE0003OnIt() => VerifyMessage("""
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

    private static void VerifyMessage(string markup, string invalidPascalName, string reason)
    {
        var run = Verify(markup, invalidPascalName);
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(reason, message, StringComparison.Ordinal);
        Assert.Contains("JsonSerializerContext with [JsonSerializable(typeof(", message, StringComparison.Ordinal);
        Assert.EndsWith("docs/diagnostics/QUE0003.md", diagnostic.Descriptor.HelpLinkUri, StringComparison.Ordinal);
    }

    private static GeneratorRun Verify(string markup, string invalidPascalName)
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
        return run;
    }
}
