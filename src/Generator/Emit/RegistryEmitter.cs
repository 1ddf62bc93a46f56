using Microsoft.CodeAnalysis;
using Queues.Generator.Model;

namespace Queues.Generator.Emit;

/// <summary>
/// Emits the <c>Jobs</c> class (constructor, client and <c>Register</c>, the dispatch table that registers every job's
/// definition and handler with the worker) and <c>AddJobs()</c>.
/// </summary>
/// <remarks>
/// <c>AddJobs()</c> lives in <c>Microsoft.Extensions.DependencyInjection</c>, where a composition root finds builder
/// extensions without a <c>using</c>. It is internal: a project that references another project with jobs gets its
/// own <c>AddJobs()</c> in that same namespace, and two public ones would make every call ambiguous. The public,
/// per-class <c>Jobs.Register(builder)</c> is what registers another project's handlers. A global using alias names
/// <c>Jobs</c> in files outside its namespace, such as a top-level Program.cs.
/// </remarks>
internal static class RegistryEmitter
{
    public static void Emit(SourceProductionContext context, (EquatableArray<JobRegistration> Jobs, GeneratorSettings? Settings) input)
    {
        if (input.Jobs.Count > 0 && input.Settings is not null)
        {
            context.AddSource("Queues.Jobs.g.cs", Render(input.Jobs, input.Settings));
        }
    }

    public static string Render(EquatableArray<JobRegistration> jobs, GeneratorSettings settings)
    {
        var jobsClass = settings.QualifiedClassName;
        // An alias, not a using of the namespace: it brings in one name, and it wins over a referenced project's Jobs
        // that a using of that project's namespace brings in.
        var w = Header.Start(settings.Namespace, settings.GlobalUsing ? $"global using {settings.ClassName} = {jobsClass};" : null);
        w.Line("/// <summary>");
        w.Line("/// Typed enqueue methods for this project's jobs, one set per <see cref=\"global::Queues.JobAttribute\"/>:");
        foreach (var job in jobs)
        {
            w.Line($"/// <c>{Header.Xml(job.Name)}</c> → <c>Enqueue{job.PascalName}Async</c>;");
        }

        w.Line("/// registered as a singleton by <c>AddJobs()</c>.");
        w.Line("/// </summary>");
        w.Line(Header.GeneratedCode);
        w.Open($"public sealed partial class {settings.ClassName}");
        w.Line("private readonly global::Queues.QueuesClient _client;");
        w.Line();
        w.Line("/// <summary>Creates the enqueue methods over <paramref name=\"client\"/>.</summary>");
        w.Line("/// <param name=\"client\">The client of the schema the jobs go to.</param>");
        w.Open($"public {settings.ClassName}(global::Queues.QueuesClient client)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(client);");
        w.Line("_client = client;");
        w.Close();
        w.Line();
        w.Line("/// <summary>The client the enqueue methods insert through.</summary>");
        w.Line("public global::Queues.QueuesClient Client => _client;");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Registers the handler of every job in this project with the worker (the dispatch table from job name to handler)");
        w.Line($"/// and <see cref=\"{Header.Xml(jobsClass)}\"/> as a singleton. <c>AddJobs()</c> calls this; call it directly to run the");
        w.Line("/// handlers of a referenced project. Jobs declared in referenced assemblies are enqueued here but handled where they");
        w.Line("/// are declared, so they are not registered.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"builder\">The builder returned by <c>services.AddQueues(...)</c>.</param>");
        w.Line("/// <returns>The builder.</returns>");
        w.Open("public static global::Queues.QueuesBuilder Register(global::Queues.QueuesBuilder builder)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(builder);");
        foreach (var job in jobs)
        {
            if (job.HasHandler)
            {
                w.Line($"builder.AddJob({job.PascalName}Job.Definition, {job.PascalName}Job.RunAsync);");
            }
        }

        w.Line($"global::Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddSingleton<{jobsClass}>(builder.Services,");
        w.Line($"    static services => new {jobsClass}(global::Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<global::Queues.QueuesClient>(services)));");
        w.Line("return builder;");
        w.Close();
        w.Close();
        w.Close();
        w.Line();

        w.Open("namespace Microsoft.Extensions.DependencyInjection");
        w.Line("/// <summary>Registers this project's jobs with Queues.</summary>");
        w.Line(Header.GeneratedCode);
        w.Open("internal static class QueuesJobsServiceCollectionExtensions");
        w.Line("/// <summary>");
        w.Line($"/// Registers the handler of every job in this project with the worker, and <see cref=\"{Header.Xml(jobsClass)}\"/> as a singleton:");
        w.Line("/// <c>services.AddQueues(...).AddJobs()</c>.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"builder\">The builder returned by <c>services.AddQueues(...)</c>.</param>");
        w.Line("/// <returns>The builder.</returns>");
        w.Line("public static global::Queues.QueuesBuilder AddJobs(this global::Queues.QueuesBuilder builder)");
        w.Line($"    => {jobsClass}.Register(builder);");
        w.Close();
        w.Close();
        return w.ToString();
    }
}
