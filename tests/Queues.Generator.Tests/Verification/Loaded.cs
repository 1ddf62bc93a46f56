using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;

namespace Queues.Generator.Tests.Verification;

/// <summary>
/// The output compilation emitted to memory and loaded into a collectible context that takes Queues, Npgsql and
/// the framework from the default context, so the generated code shares their types with this test.
/// </summary>
internal sealed class LoadedAssembly : IDisposable
{
    private readonly Context _context;

    private LoadedAssembly(Context context, Assembly assembly)
    {
        _context = context;
        Assembly = assembly;
    }

    public Assembly Assembly { get; }

    public static LoadedAssembly Emit(GeneratorRun run) => Emit(run.Output);

    public static LoadedAssembly Emit(Compilation compilation, params (string Name, byte[] Image)[] dependencies)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.Success, "Emit failed:" + Environment.NewLine + GeneratorHarness.Describe(result.Diagnostics));
        stream.Position = 0;
        var context = new Context(dependencies);
        return new LoadedAssembly(context, context.LoadFromStream(stream));
    }

    /// <summary>A type of the loaded assembly by its reflection name (nested types with '+').</summary>
    public Type Type(string name) => Assembly.GetType(name, throwOnError: true)!;

    public void Dispose() => _context.Unload();

    private sealed class Context((string Name, byte[] Image)[] dependencies) : AssemblyLoadContext("GeneratedJobs", isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName assemblyName)
        {
            foreach (var (name, image) in dependencies)
            {
                if (name == assemblyName.Name)
                {
                    return LoadFromStream(new MemoryStream(image));
                }
            }

            return Default.LoadFromAssemblyName(assemblyName);
        }
    }
}

/// <summary>Running generated code by hand, as the worker does.</summary>
internal static class Loaded
{
    /// <summary>A JobContext as the worker makes one; its constructor is internal to the runtime.</summary>
    public static JobContext CreateContext(string jobName, long id = 1)
    {
        // The last parameter (the handler's transaction, internal to the runtime) is left null: no database here.
        var constructor = typeof(JobContext).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic).Single(static c => c.GetParameters().Length == 7);
        return (JobContext)constructor.Invoke([new JobId(id), jobName, JobDefinition.DefaultQueue, 1, JobDefinition.DefaultMaxAttempts, DateTimeOffset.UnixEpoch, null]);
    }

    /// <summary>Calls a static method, rethrowing what it threw rather than a TargetInvocationException.</summary>
    public static object? Invoke(Type type, string method, params object?[] arguments)
    {
        try
        {
            return type.GetMethod(method, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, arguments);
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(exception.InnerException).Throw();
            throw;
        }
    }

    /// <summary>Runs job <paramref name="pascalName"/>'s generated <c>RunAsync</c> with <paramref name="services"/> and a UTF-8 payload.</summary>
    public static async Task RunAsync(LoadedAssembly loaded, string pascalName, IServiceProvider services, string payloadJson, JobContext? context = null)
    {
        var job = loaded.Type($"TestApp.Jobs+{pascalName}Job");
        var payload = (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes(payloadJson);
        var task = (ValueTask)Invoke(job, "RunAsync", services, payload, context ?? CreateContext(pascalName), TestContext.Current.CancellationToken)!;
        await task;
    }
}

/// <summary>
/// A tiny service provider: Microsoft.Extensions.DependencyInjection (the container) is not among the centrally pinned
/// packages, and the generated code only needs <see cref="IServiceProvider.GetService"/>.
/// </summary>
internal sealed class TestServices : IServiceProvider
{
    private readonly Dictionary<Type, object> _services = [];

    public TestServices Add(Type type, object service)
    {
        _services[type] = service;
        return this;
    }

    public object? GetService(Type serviceType) => _services.GetValueOrDefault(serviceType);
}
