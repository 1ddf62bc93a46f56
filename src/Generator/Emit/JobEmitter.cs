using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Queues.Generator.Model;

namespace Queues.Generator.Emit;

/// <summary>
/// Emits one file per job: its typed <c>Enqueue{Name}Async</c> on <c>Jobs</c>, and a nested <c>{Name}Job</c> class with the
/// job's definition, payload serializer and the dispatch entry point the worker calls.
/// </summary>
internal static class JobEmitter
{
    public static void Emit(SourceProductionContext context, (JobSpec Job, GeneratorSettings Settings) input)
    {
        var (job, settings) = input;
        context.AddSource($"Queues.Job.{job.PascalName}.g.cs", Render(job, settings));
    }

    public static string Render(JobSpec job, GeneratorSettings settings)
    {
        var w = Header.Start(settings.RootNamespace);
        w.Open("partial class Jobs");
        WriteEnqueue(w, job);
        w.Line();
        WriteJobClass(w, job);
        w.Close();
        w.Close();
        return w.ToString();
    }

    private static void WriteEnqueue(SourceWriter w, JobSpec job)
    {
        var access = job.IsPublic ? "public" : "internal";
        var name = Header.Xml(job.Name);
        w.Line($"/// <summary>");
        w.Line($"/// Enqueues job <c>{name}</c> (queue <c>{Header.Xml(job.Queue)}</c>, handled by <see cref=\"{Header.Xml(job.HandlerType)}.{job.MethodName}\"/>)");
        w.Line("/// inside <paramref name=\"transaction\"/>: workers see it once the transaction commits; if it rolls back, the job never existed.");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"transaction\">The open transaction that also writes the data the job refers to.</param>");
        if (job.Payload is not null)
        {
            w.Line("/// <param name=\"payload\">The job's payload, stored as JSON.</param>");
        }

        w.Line("/// <param name=\"options\">Overrides of run time, priority, queue or attempts; null for the job's defaults.</param>");
        w.Line("/// <param name=\"cancellationToken\">Cancels the insert.</param>");
        w.Line("/// <returns>The new job's id.</returns>");
        w.Line($"[global::Queues.JobEnqueueMethod({Header.Literal(job.Name)})]");
        var payloadParameter = job.Payload is null ? "" : $"{job.Payload.Root.Declared} payload, ";
        w.Open($"{access} global::System.Threading.Tasks.Task<global::Queues.JobId> Enqueue{job.PascalName}Async(global::Npgsql.NpgsqlTransaction transaction, {payloadParameter}global::Queues.EnqueueOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)");
        var payloadArgument = job.Payload is null ? "global::System.ReadOnlyMemory<byte>.Empty" : $"{job.PascalName}Job.Serialize(payload)";
        if (job.Payload is null)
        {
            payloadArgument = $"{job.PascalName}Job.EmptyPayload";
        }
        else if (!job.Payload.Types.First(t => t.Id == job.Payload.Root.TypeId).IsValueType)
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(payload);");
        }

        w.Line($"return _client.EnqueueAsync(transaction, {job.PascalName}Job.Definition, {payloadArgument}, options, cancellationToken);");
        w.Close();
    }

    private static void WriteJobClass(SourceWriter w, JobSpec job)
    {
        w.Line($"/// <summary>Definition, serializer and dispatch of job <c>{Header.Xml(job.Name)}</c>.</summary>");
        w.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
        w.Line(Header.GeneratedCode);
        w.Open($"internal static class {job.PascalName}Job");
        w.Line("/// <summary>The job's durable name and defaults.</summary>");
        w.Line($"public static readonly global::Queues.JobDefinition Definition = new global::Queues.JobDefinition({Header.Literal(job.Name)}, {Header.Literal(job.Queue)}, {job.Priority.ToString(CultureInfo.InvariantCulture)}, {job.MaxAttempts.ToString(CultureInfo.InvariantCulture)});");
        w.Line();
        WriteRun(w, job);
        if (job.Payload is null)
        {
            w.Line();
            w.Line("/// <summary>The payload of a job that takes none: an empty JSON object.</summary>");
            w.Line("public static readonly global::System.ReadOnlyMemory<byte> EmptyPayload = new byte[] { (byte)'{', (byte)'}' };");
        }
        else
        {
            w.Line();
            SerializerEmitter.Write(w, job.Payload);
        }

        w.Close();
    }

    private static void WriteRun(SourceWriter w, JobSpec job)
    {
        var awaits = job.Return != HandlerReturn.Void || job.Dispose == DisposeKind.Async;
        w.Line("/// <summary>Runs one claimed job: reads the payload, creates the handler and calls it.</summary>");
        w.Open($"public static {(awaits ? "async " : "")}global::System.Threading.Tasks.ValueTask RunAsync(global::System.IServiceProvider services, global::System.ReadOnlyMemory<byte> payload, global::Queues.JobContext context, global::System.Threading.CancellationToken cancellationToken)");
        if (job.Payload is not null)
        {
            w.Line("var value = Deserialize(payload, context);");
        }

        var arguments = string.Join(", ", job.Parameters.Select(static p => p switch
        {
            HandlerParameter.Payload => "value",
            HandlerParameter.Context => "context",
            _ => "cancellationToken",
        }));
        string target;
        if (job.IsStatic)
        {
            target = job.HandlerType;
        }
        else
        {
            var dependencies = string.Join(", ", job.ConstructorParameters.Select(static t => t == "global::System.IServiceProvider"
                ? "services"
                : $"global::Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<{t}>(services)"));
            var create = $"new {job.HandlerType}({dependencies})";
            w.Line(job.Dispose switch
            {
                DisposeKind.Async => $"await using var handler = {create};",
                DisposeKind.Sync => $"using var handler = {create};",
                _ => $"var handler = {create};",
            });
            target = "handler";
        }

        var call = $"{target}.{job.MethodName}({arguments})";
        if (job.Return == HandlerReturn.Void)
        {
            w.Line(call + ";");
            if (!awaits)
            {
                w.Line("return default;");
            }
        }
        else
        {
            w.Line($"await {call}.ConfigureAwait(false);");
        }

        w.Close();
    }
}
