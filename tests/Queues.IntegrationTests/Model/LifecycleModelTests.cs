using System.Globalization;
using System.Text.RegularExpressions;
using CsCheck;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests.Model;

/// <summary>
/// The model-based test of the job lifecycle (issue 27): random sequences of enqueues, claims, outcomes, heartbeats,
/// rescues, promotions, operator actions, worker kills and restarts, time passing, rows locked from another session and
/// lost replies, run against real PostgreSQL and the engine's own classes, with every step compared to
/// <see cref="LifecycleModel"/>. A failure is shrunk to a short sequence and reported with its seed.
/// </summary>
/// <remarks>
/// The budget is fixed so the test takes well under a minute in CI. Longer runs and replays (docs/guarantees.md):
/// <c>QUEUES_MODEL_ITERATIONS</c> (sequences, default 40), <c>QUEUES_MODEL_STEPS</c> (longest sequence, default 80),
/// <c>QUEUES_MODEL_SEED</c> (replay one sequence: the seed a failure printed), <c>QUEUES_MODEL_SHRINK_SECONDS</c> (how long a
/// failure is shrunk, default 120).
/// </remarks>
public sealed partial class LifecycleModelTests(PostgresFixture fixture)
{
    private readonly Dictionary<string, int> _events = [];

    [Fact]
    public async Task RandomSequencesOfOperations_LeaveTheEngineWhereTheModelSays()
    {
        var seed = Environment.GetEnvironmentVariable("QUEUES_MODEL_SEED") is { Length: > 0 } s ? s : null;
        var iterations = Setting("QUEUES_MODEL_ITERATIONS", 40);
        var steps = Setting("QUEUES_MODEL_STEPS", 80);
        var shrinkSeconds = Setting("QUEUES_MODEL_SHRINK_SECONDS", 120);
        var output = TestContext.Current.TestOutputHelper;
        var sequences = LifecycleGen.Sequence(steps);
        var failure = await SampleAsync(sequences, seed, seed is null ? iterations : 1, time: -1);
        if (failure is not null && seed is null && SeedOf(failure) is { } failing)
        {
            // CsCheck shrinks by searching on from the failing seed: only sequences smaller than the smallest failure so
            // far are run, so the search is cheap and ends with a short sequence.
            failure = await SampleAsync(sequences, failing, iter: long.MaxValue, time: shrinkSeconds) ?? failure;
        }

        if (failure is not null)
        {
            Assert.Fail($"""
                The engine and the lifecycle model disagree. Replay the shortest failing sequence with:
                  QUEUES_MODEL_SEED={SeedOf(failure) ?? seed} dotnet test tests/Queues.IntegrationTests --filter "FullyQualifiedName~LifecycleModelTests"

                {failure.InnerException?.Message}
                {failure.Message}
                """);
        }

        // What the sequences reached: a transition that no longer shows up here is no longer tested.
        foreach (var (what, count) in _events.OrderBy(static e => e.Key, StringComparer.Ordinal))
        {
            output?.WriteLine($"{count,7}  {what}");
        }
    }

    private async Task<CsCheckException?> SampleAsync(Gen<LifecycleOp[]> sequences, string? seed, long iter, int time)
    {
        try
        {
            await sequences.SampleAsync(RunAsync, writeLine: TestContext.Current.TestOutputHelper is { } output ? output.WriteLine : null, seed: seed,
                iter: iter, time: time, threads: 1, print: LifecycleGen.Print);
            return null;
        }
        catch (CsCheckException exception)
        {
            return exception;
        }
    }

    private static string? SeedOf(CsCheckException failure) => SeedPattern().Match(failure.Message) is { Success: true } m ? m.Groups[1].Value : null;

    private async Task RunAsync(LifecycleOp[] ops)
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var engine = new EngineAdapter(schema);
        var model = new LifecycleModel();
        try
        {
            await new LifecycleRunner(engine, model).RunAsync(ops);
        }
        finally
        {
            lock (_events)
            {
                foreach (var (what, count) in model.Events)
                {
                    _events[what] = _events.GetValueOrDefault(what) + count;
                }
            }
        }
    }

    private static int Setting(string name, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    [GeneratedRegex(@"CsCheck_Seed=(\S+)")]
    private static partial Regex SeedPattern();
}
