namespace Queues.Analyzers.Tests.Verification;

/// <summary>
/// Stand-ins for the Queues runtime, Npgsql and generator output, so analyzer tests depend on neither the real
/// runtime nor Npgsql. Keep the shapes in step with src/Runtime and the generator's enqueue emitter.
/// </summary>
internal static class TestSources
{
    public const string RuntimeStubs = """
        namespace Npgsql
        {
            public sealed class NpgsqlTransaction : System.IAsyncDisposable
            {
                public System.Threading.Tasks.Task CommitAsync(System.Threading.CancellationToken cancellationToken = default) => System.Threading.Tasks.Task.CompletedTask;
                public System.Threading.Tasks.ValueTask DisposeAsync() => default;
            }

            public sealed class NpgsqlConnection
            {
                public System.Threading.Tasks.ValueTask<NpgsqlTransaction> BeginTransactionAsync(System.Threading.CancellationToken cancellationToken = default) => new(new NpgsqlTransaction());
            }
        }

        namespace Queues
        {
            [System.AttributeUsage(System.AttributeTargets.Method, Inherited = false)]
            public sealed class JobEnqueueMethodAttribute : System.Attribute
            {
                public JobEnqueueMethodAttribute(string jobName) => JobName = jobName;

                public string JobName { get; }
            }

            public readonly record struct JobId(long Value);

            public sealed class JobDefinition
            {
                public JobDefinition(string name) => Name = name;

                public string Name { get; }
            }

            public sealed class EnqueueOptions
            {
            }

            public sealed class QueuesClient
            {
                public System.Threading.Tasks.Task<JobId> EnqueueAsync(
                    Npgsql.NpgsqlTransaction transaction,
                    JobDefinition job,
                    System.ReadOnlyMemory<byte> payload,
                    EnqueueOptions? options = null,
                    System.Threading.CancellationToken cancellationToken = default) => System.Threading.Tasks.Task.FromResult(new JobId(1));
            }
        }
        """;

    /// <summary>What the generator emits for <c>[Job("userOnboarding")]</c>, reduced to the signature the analyzer looks at.</summary>
    public const string GeneratedEnqueueMethods = """
        namespace App
        {
            public sealed record UserOnboarding(string Email);

            public sealed class AppJobs
            {
                [global::Queues.JobEnqueueMethod("userOnboarding")]
                public global::System.Threading.Tasks.Task<global::Queues.JobId> EnqueueUserOnboardingAsync(
                    global::Npgsql.NpgsqlTransaction tx,
                    UserOnboarding payload,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(new global::Queues.JobId(1));

                // Same shape, no marker: must never be reported.
                public global::System.Threading.Tasks.Task<global::Queues.JobId> ScheduleReminderAsync(
                    global::Npgsql.NpgsqlTransaction tx,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(new global::Queues.JobId(2));
            }
        }
        """;
}
