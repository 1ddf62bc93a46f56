using Verifier = Queues.Analyzers.Tests.Verification.AnalyzerVerifier<Queues.Analyzers.EnqueueNotAwaitedAnalyzer>;

namespace Queues.Analyzers.Tests;

/// <summary>The verifier, as configured for Queues (stubs, markup), must fail loudly; a verifier that cannot fail proves nothing.</summary>
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

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => Verifier.VerifyAsync(source));

        Assert.Contains("expected \"1\" actual \"0\"", exception.Message, StringComparison.Ordinal);
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

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => Verifier.VerifyAsync(source));

        Assert.Contains("expected \"0\" actual \"1\"", exception.Message, StringComparison.Ordinal);
        Assert.Contains("/0/Test0.cs(7,53): warning QUE0104", exception.Message, StringComparison.Ordinal);
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

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => Verifier.VerifyAsync(source));

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

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => Verifier.VerifyAsync(source));

        Assert.Contains("Expected diagnostic to end at column", exception.Message, StringComparison.Ordinal);
    }
}
