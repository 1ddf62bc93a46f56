using System.Linq;
using Microsoft.CodeAnalysis;
using Queues.Generator.Model;

namespace Queues.Generator.Emit;

/// <summary>
/// Emits the <c>Jobs</c> class (constructor and client) and <c>AddJobs()</c>, the dispatch table that registers every
/// job's definition and handler with the worker.
/// </summary>
internal static class RegistryEmitter
{
    public static void Emit(SourceProductionContext context, (EquatableArray<JobRegistration> Jobs, GeneratorSettings Settings) input)
    {
        if (input.Jobs.Count > 0)
        {
            context.AddSource("Queues.Jobs.g.cs", Render(input.Jobs, input.Settings));
        }
    }

    public static string Render(EquatableArray<JobRegistration> jobs, GeneratorSettings settings)
    {
        var w = Header.Start(settings.RootNamespace);
        w.Line("/// <summary>");
        w.Line("/// Typed, transactional enqueue methods for this project's jobs, one per <see cref=\"global::Queues.JobAttribute\"/>:");
        foreach (var job in jobs)
        {
            w.Line($"/// <c>{Header.Xml(job.Name)}</c> → <c>Enqueue{job.PascalName}Async</c>;");
        }

        w.Line("/// registered as a singleton by <c>AddJobs()</c>.");
        w.Line("/// </summary>");
        w.Line(Header.GeneratedCode);
        w.Open("public sealed partial class Jobs");
        w.Line("private readonly global::Queues.QueuesClient _client;");
        w.Line();
        w.Line("/// <summary>Creates the enqueue methods over <paramref name=\"client\"/>.</summary>");
        w.Line("/// <param name=\"client\">The client of the schema the jobs go to.</param>");
        w.Open("public Jobs(global::Queues.QueuesClient client)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(client);");
        w.Line("_client = client;");
        w.Close();
        w.Line();
        w.Line("/// <summary>The client the enqueue methods insert through.</summary>");
        w.Line("public global::Queues.QueuesClient Client => _client;");
        w.Close();
        w.Line();

        w.Line("/// <summary>Registers this project's jobs with Queues.</summary>");
        w.Line(Header.GeneratedCode);
        w.Open("public static class QueuesJobsRegistration");
        w.Line("/// <summary>");
        w.Line("/// Registers the handler of every job in this project with the worker (the dispatch table from job name to handler)");
        w.Line("/// and <see cref=\"Jobs\"/> as a singleton. Jobs declared in referenced assemblies are enqueued here but handled");
        w.Line("/// where they are declared, so they are not registered.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"builder\">The builder returned by <c>services.AddQueues(...)</c>.</param>");
        w.Line("/// <returns>The builder.</returns>");
        w.Open("public static global::Queues.QueuesBuilder AddJobs(this global::Queues.QueuesBuilder builder)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(builder);");
        foreach (var job in jobs.Where(static j => j.HasHandler))
        {
            w.Line($"builder.AddJob(Jobs.{job.PascalName}Job.Definition, Jobs.{job.PascalName}Job.RunAsync);");
        }

        w.Line("global::Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddSingleton<Jobs>(builder.Services,");
        w.Line("    static services => new Jobs(global::Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<global::Queues.QueuesClient>(services)));");
        w.Line("return builder;");
        w.Close();
        w.Close();
        w.Close();
        return w.ToString();
    }
}
