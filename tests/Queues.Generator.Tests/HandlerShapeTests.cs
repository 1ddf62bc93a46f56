using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

/// <summary>
/// Compiles every handler shape, loads the result and runs each job's generated <c>RunAsync</c> as the worker does,
/// with a hand-built service provider; the handlers record what they received.
/// </summary>
public sealed class HandlerShapeTests
{
    private static readonly string s_recorder = TestSources.Code("""
        public static class Recorder
        {
            public static readonly List<string> Lines = new();

            public static void Add(string line)
            {
                lock (Lines)
                {
                    Lines.Add(line);
                }
            }
        }

        public sealed class Greeter
        {
            public string Greet(string name) => "hello " + name;
        }

        public sealed record Note(string Text, int Count);
        """, "TestApp.Shared");

    private static readonly string s_handlers = TestSources.Code("""
        using TestApp.Shared;

        public static class StaticHandlers
        {
            [Job("staticVoid")]
            public static void Run(Note payload) => Recorder.Add($"staticVoid {payload.Text} {payload.Count}");

            // Parameters in any order; the payload between the others.
            [Job("staticTaskAnyOrder")]
            public static Task RunAsync(CancellationToken cancellationToken, Note payload, JobContext context)
            {
                Recorder.Add($"staticTaskAnyOrder {payload.Text} {context.Name} {context.Id} {cancellationToken.CanBeCanceled}");
                return Task.CompletedTask;
            }

            [Job("primitivePayload")]
            public static ValueTask RunAsync(string message)
            {
                Recorder.Add($"primitivePayload {message}");
                return ValueTask.CompletedTask;
            }
        }

        public sealed class InstanceHandler(Greeter greeter)
        {
            [Job("instanceNoPayload")]
            public async ValueTask RunAsync(JobContext context)
            {
                await Task.Yield();
                Recorder.Add($"instanceNoPayload {greeter.Greet(context.Name)}");
            }

            // Several handlers in one class.
            [Job("instanceSecond")]
            public void Second(Note payload, CancellationToken cancellationToken) => Recorder.Add($"instanceSecond {greeter.Greet(payload.Text)}");
        }

        public partial class Outer
        {
            public sealed class DisposableHandler(IServiceProvider services) : IDisposable
            {
                [Job("nestedDisposable")]
                public Task RunAsync(Note payload)
                {
                    Recorder.Add($"nestedDisposable {services.GetService(typeof(Greeter)) is Greeter}");
                    return Task.CompletedTask;
                }

                public void Dispose() => Recorder.Add("nestedDisposable disposed");
            }
        }

        public sealed class AsyncDisposableHandler : IAsyncDisposable
        {
            [Job("asyncDisposable")]
            public Task RunAsync() 
            {
                Recorder.Add("asyncDisposable ran");
                return Task.CompletedTask;
            }

            public ValueTask DisposeAsync()
            {
                Recorder.Add("asyncDisposable disposed");
                return ValueTask.CompletedTask;
            }
        }

        internal struct StructHandler
        {
            [Job("structHandler")]
            public void Run(CancellationToken cancellationToken) => Recorder.Add("structHandler");
        }
        """, "TestApp.Handlers.One");

    // A second file, another namespace, the other half of the partial class.
    private static readonly string s_moreHandlers = TestSources.Code("""
        using TestApp.Shared;

        public partial class Outer
        {
            [Job("partialOther")]
            internal static void Run(Note payload) => Recorder.Add("partialOther");
        }

        public static class Elsewhere
        {
            [Job("elsewhere")]
            public static Task RunAsync(JobContext context, CancellationToken cancellationToken)
            {
                Recorder.Add($"elsewhere {context.Name}");
                return Task.CompletedTask;
            }
        }
        """, "TestApp.Handlers.Two");

    public static TheoryData<string, string, string[]> Shapes => new()
    {
        { "StaticVoid", """{"text":"a","count":1}""", ["staticVoid a 1"] },
        { "StaticTaskAnyOrder", """{"count":2,"text":"b"}""", ["staticTaskAnyOrder b StaticTaskAnyOrder 1 True"] },
        { "PrimitivePayload", "\"hi\"", ["primitivePayload hi"] },
        { "InstanceNoPayload", "{}", ["instanceNoPayload hello InstanceNoPayload"] },
        { "InstanceSecond", """{"text":"c","count":3}""", ["instanceSecond hello c"] },
        { "NestedDisposable", """{"text":"d","count":4}""", ["nestedDisposable True", "nestedDisposable disposed"] },
        { "AsyncDisposable", "{}", ["asyncDisposable ran", "asyncDisposable disposed"] },
        { "StructHandler", "{}", ["structHandler"] },
        { "PartialOther", """{"text":"e","count":5}""", ["partialOther"] },
        { "Elsewhere", "{}", ["elsewhere Elsewhere"] },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task HandlerShape_RunsThroughTheGeneratedDispatch(string pascalName, string payloadJson, string[] expectedLines)
    {
        var run = GeneratorHarness.Run(s_recorder, s_handlers, s_moreHandlers);
        Assert.Empty(run.GeneratorDiagnostics);
        run.AssertOutputHasNoWarningsOrErrors();
        using var loaded = LoadedAssembly.Emit(run);
        var greeter = Activator.CreateInstance(loaded.Type("TestApp.Shared.Greeter"))!;
        var services = new TestServices().Add(greeter.GetType(), greeter);

        // The context names the job after the test's key, so handlers that print it show it was passed through.
        await Loaded.RunAsync(loaded, pascalName, services, payloadJson);

        var lines = (List<string>)loaded.Type("TestApp.Shared.Recorder").GetField("Lines")!.GetValue(null)!;
        Assert.Equal(expectedLines, lines);
    }

    [Fact]
    public void EveryJob_IsRegisteredInTheDispatchTable()
    {
        var run = GeneratorHarness.Run(s_recorder, s_handlers, s_moreHandlers);

        var registry = run.Source("Queues.Jobs.g.cs");
        foreach (var pascalName in Shapes.Select(static row => row.Data.Item1))
        {
            Assert.Contains($"builder.AddJob({pascalName}Job.Definition, {pascalName}Job.RunAsync);", registry, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task InstanceHandler_WithAMissingService_FailsWithTheContainersMessage()
    {
        var run = GeneratorHarness.Run(s_recorder, s_handlers, s_moreHandlers);
        using var loaded = LoadedAssembly.Emit(run);

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => Loaded.RunAsync(loaded, "InstanceSecond", new TestServices(), """{"text":"c","count":3}"""));

        Assert.Contains("Greeter", exception.Message, StringComparison.Ordinal);
    }
}
