namespace Queues.Generator.Tests.Verification;

/// <summary>
/// Builds the small inputs the tests run the generator over [Mapperly <c>TestSourceBuilder</c>]: a body wrapped in the
/// usings a project with implicit usings has, plus the shared handler sets.
/// </summary>
internal static class TestSources
{
    /// <summary><paramref name="body"/> in namespace <paramref name="namespace"/>, with the usings handler code needs.</summary>
    public static string Code(string body, string @namespace = "TestApp.Handlers") => $$"""
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Queues;

        namespace {{@namespace}};

        {{body}}
        """;

    /// <summary>The payloads of <see cref="HandlerSet"/>.</summary>
    public static readonly string HandlerSetPayloads = Code("""
        public enum Plan
        {
            Free,
            Pro,
            Enterprise,
        }

        public sealed record Address(string Street, string City, string? PostalCode);

        public sealed record UserOnboarding(
            Guid UserId,
            string Email,
            int Attempt,
            Plan Plan,
            List<string> Interests,
            string? ReferralCode,
            int? TrialDays,
            Address HomeAddress);

        public sealed record InvoicePaid(Guid InvoiceId, decimal Amount);

        public sealed record ReportRequest(DateOnly Week, string Recipient);
        """, "TestApp.Payloads");

    /// <summary>
    /// One of each handler shape: an instance handler with a constructor dependency, a static void handler, a handler
    /// without payload that takes only a CancellationToken, and an IAsyncDisposable handler class.
    /// </summary>
    public static readonly string HandlerSetHandlers = Code("""
        using TestApp.Payloads;

        public interface IMailer
        {
            Task SendAsync(string to, string subject, CancellationToken cancellationToken);
        }

        public sealed class OnboardingJobs(IMailer mailer)
        {
            [Job("userOnboarding", Queue = "email", MaxAttempts = 5)]
            public Task WelcomeAsync(UserOnboarding payload, JobContext context, CancellationToken cancellationToken)
                => mailer.SendAsync(payload.Email, $"Welcome, attempt {context.Attempt}", cancellationToken);
        }

        public static class BillingJobs
        {
            [Job("billing.invoice-paid", Priority = -1)]
            public static void MarkPaid(InvoicePaid payload)
            {
                Console.WriteLine(payload.InvoiceId);
            }
        }

        public sealed class MaintenanceJobs
        {
            [Job("nightlyCleanup", Queue = "maintenance")]
            public ValueTask CleanupAsync(CancellationToken cancellationToken)
            {
                return ValueTask.CompletedTask;
            }
        }

        public sealed class ReportJobs(IMailer mailer) : IAsyncDisposable
        {
            [Job("weeklyReport")]
            public async Task SendAsync(ReportRequest payload, CancellationToken cancellationToken)
            {
                await mailer.SendAsync(payload.Recipient, $"Week of {payload.Week:yyyy-MM-dd}", cancellationToken);
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
        """);

    /// <summary>Both files of the handler set: payloads (<c>Test0.cs</c>) and handlers (<c>Test1.cs</c>).</summary>
    public static string[] HandlerSet => [HandlerSetPayloads, HandlerSetHandlers];

    /// <summary>A job to put next to an invalid one, so the registry is generated and shows what it left out.</summary>
    public const string HealthyJob = """

        public static class HealthyJobs
        {
            [Job("healthy")]
            public static void Check(CancellationToken cancellationToken)
            {
            }
        }
        """;

    /// <summary>A payload with every supported primitive, collection shape and a nested record, and a sample value.</summary>
    public static readonly string EveryShapePayload = Code("""
        using System.Text.Json.Serialization;

        public enum Color
        {
            Red,
            Green,
            Blue,
        }

        public sealed record Inner(string Name, int Count);

        public sealed record EveryShape(
            string Text,
            bool Flag,
            byte Byte8,
            sbyte SByte8,
            short Int16,
            ushort UInt16,
            int Int32,
            uint UInt32,
            long Int64,
            ulong UInt64,
            float Single,
            double Double,
            decimal Decimal,
            char Letter,
            Guid Id,
            DateTime At,
            DateTimeOffset AtOffset,
            DateOnly Day,
            TimeOnly Time,
            TimeSpan Duration,
            Uri Link,
            Color Color,
            int? SomeNumber,
            int? NoNumber,
            string? SomeText,
            string? NoText,
            int[] Numbers,
            string[] Words,
            List<Inner> Items,
            IReadOnlyList<string> Tags,
            HashSet<Guid> Ids,
            Dictionary<string, int> Counts,
            Dictionary<string, Inner> ByName,
            Inner Nested,
            Inner? NoNested,
            string HTMLTitle,
            [property: JsonPropertyName("renamed_member")] string Renamed);

        public static class EveryShapeJobs
        {
            [Job("everyShape")]
            public static void Handle(EveryShape payload)
            {
            }
        }

        public static class Samples
        {
            public static EveryShape Create() => new(
                Text: "héllo \"quoted\" <tag> & \n newline",
                Flag: true,
                Byte8: 255,
                SByte8: -128,
                Int16: short.MinValue,
                UInt16: ushort.MaxValue,
                Int32: int.MinValue,
                UInt32: uint.MaxValue,
                Int64: long.MinValue,
                UInt64: ulong.MaxValue,
                Single: 1.5f,
                Double: 3.141592653589793,
                Decimal: 79228162514264337593543950335m,
                Letter: 'Z',
                Id: new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"),
                At: new DateTime(2024, 2, 29, 23, 59, 58, 123, DateTimeKind.Utc),
                AtOffset: new DateTimeOffset(2024, 2, 29, 23, 59, 58, 123, TimeSpan.FromHours(2)),
                Day: new DateOnly(1999, 12, 31),
                Time: new TimeOnly(13, 45, 30).Add(TimeSpan.FromTicks(1234567)),
                Duration: new TimeSpan(1, 2, 3, 4, 567),
                Link: new Uri("https://example.org/a?b=c&d=e"),
                Color: Color.Blue,
                SomeNumber: 42,
                NoNumber: null,
                SomeText: "some",
                NoText: null,
                Numbers: [1, -2, 3],
                Words: ["a", "b"],
                Items: [new Inner("first", 1), new Inner("second", 2)],
                Tags: ["x", "y", "z"],
                Ids: [new Guid("11111111-1111-1111-1111-111111111111"), new Guid("22222222-2222-2222-2222-222222222222")],
                Counts: new Dictionary<string, int> { ["One"] = 1, ["two"] = 2 },
                ByName: new Dictionary<string, Inner> { ["Key"] = new Inner("value", 3) },
                Nested: new Inner("nested", 4),
                NoNested: null,
                HTMLTitle: "title",
                Renamed: "renamed");
        }
        """, "TestApp.Payloads");
}
