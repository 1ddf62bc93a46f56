using Verifier = Queues.Analyzers.Tests.Verification.AnalyzerVerifier<Queues.Analyzers.EnqueueNotAwaitedAnalyzer>;

namespace Queues.Analyzers.Tests;

/// <summary>The harness must fail loudly; a verifier that cannot fail proves nothing.</summary>
public sealed class AnalyzerVerifierTests
{
    [Fact]
    public async Task ExpectedDiagnosticMissing_Fails()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx) =>
                    await {|QUE0104:jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|};
            }
            """;

        var exception = await Assert.ThrowsAsync<Xunit.Sdk.FailException>(() => Verifier.VerifyAsync(source));

        Assert.Contains("Missing:", exception.Message, StringComparison.Ordinal);
        Assert.Contains("QUE0104 at Test0.cs(9,15)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnexpectedDiagnostic_Fails()
    {
        const string source = """
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public void SignUp(NpgsqlTransaction tx) => _ = jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"));
            }
            """;

        var exception = await Assert.ThrowsAsync<Xunit.Sdk.FailException>(() => Verifier.VerifyAsync(source));

        Assert.Contains("Unexpected:", exception.Message, StringComparison.Ordinal);
        Assert.Contains("QUE0104 at Test0.cs(7,53)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SourceThatDoesNotCompile_Fails()
    {
        const string source = """
            namespace App;

            public sealed class Broken
            {
                public void M() => DoesNotExist();
            }
            """;

        var exception = await Assert.ThrowsAsync<Xunit.Sdk.FailException>(() => Verifier.VerifyAsync(source));

        Assert.Contains("CS0103", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongSpan_Fails()
    {
        const string source = """
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public void SignUp(NpgsqlTransaction tx) => _ = [|jobs|].EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"));
            }
            """;

        await Assert.ThrowsAsync<Xunit.Sdk.FailException>(() => Verifier.VerifyAsync(source));
    }
}
