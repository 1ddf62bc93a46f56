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
    /// <summary>Transactional enqueue methods first, then the fire-and-forget overloads.</summary>
    private static readonly bool[] s_transactional = { true, false };

    public static void Emit(SourceProductionContext context, (JobSpec Job, GeneratorSettings? Settings) input)
    {
        var (job, settings) = input;
        if (settings is null)
        {
            return;
        }

        context.AddSource($"Queues.Job.{job.PascalName}.g.cs", Render(job, settings));
    }

    public static void EmitReferenced(SourceProductionContext context, (ReferencedJobSpec Job, GeneratorSettings? Settings) input)
    {
        var (job, settings) = input;
        if (settings is null)
        {
            return;
        }

        context.AddSource($"Queues.Job.{job.PascalName}.g.cs", RenderReferenced(job, settings));
    }

    public static string Render(JobSpec job, GeneratorSettings settings)
    {
        var w = Header.Start(settings.Namespace);
        w.Open($"partial class {settings.ClassName}");
        var target = new EnqueueTarget(job.Name, job.PascalName, job.Queue, $"handled by <see cref=\"{Header.Xml(HandlerCref(job))}\"/>",
            job.IsPublic ? "public" : "internal", job.Payload is null ? null : new EnqueuePayload(job.Payload.Root.Declared, job.Payload.IsValueType));
        foreach (var transactional in s_transactional)
        {
            WriteEnqueue(w, target, transactional);
            w.Line();
            WriteEnqueueMany(w, target, transactional);
            w.Line();
        }

        WriteJobClass(w, job);
        w.Close();
        w.Close();
        return w.ToString();
    }

    /// <summary>
    /// The enqueue methods of a job declared in a referenced assembly: they delegate to that assembly's generated
    /// <c>Jobs</c>, so the job's definition and serializer are the ones its workers were built with.
    /// </summary>
    public static string RenderReferenced(ReferencedJobSpec job, GeneratorSettings settings)
    {
        var w = Header.Start(settings.Namespace);
        w.Open($"partial class {settings.ClassName}");
        var target = new EnqueueTarget(job.Name, job.PascalName, job.Queue, $"declared and handled in assembly <c>{Header.Xml(job.Assembly)}</c>",
            "public", job.Payload is null ? null : new EnqueuePayload(job.Payload, job.PayloadIsValueType));
        var first = true;
        foreach (var transactional in s_transactional)
        {
            if (!transactional && !job.HasFireAndForget)
            {
                continue;
            }

            if (!first)
            {
                w.Line();
            }

            first = false;
            w.Line(EnqueueMethodEmitter.WriteDeclaration(w, target, many: false, transactional));
            w.Line($"    => new {job.JobsType}(_client).Enqueue{job.PascalName}Async({EnqueueMethodEmitter.ForwardedArguments(target, many: false, transactional)});");
            if (transactional ? job.HasMany : job.HasFireAndForgetMany)
            {
                w.Line();
                w.Line(EnqueueMethodEmitter.WriteDeclaration(w, target, many: true, transactional));
                w.Line($"    => new {job.JobsType}(_client).Enqueue{job.PascalName}ManyAsync({EnqueueMethodEmitter.ForwardedArguments(target, many: true, transactional)});");
            }
        }

        w.Close();
        w.Close();
        return w.ToString();
    }

    /// <summary>A cref to the handler that names its parameter types, so an overloaded handler name is not ambiguous.</summary>
    private static string HandlerCref(JobSpec job)
    {
        var types = job.Parameters.Select(p => p switch
        {
            HandlerParameter.Payload => job.Payload!.RootType,
            HandlerParameter.Context => "global::" + KnownTypeNames.JobContext,
            _ => "global::" + KnownTypeNames.CancellationToken,
        });
        return $"{job.HandlerType}.{job.MethodName}({string.Join(", ", types)})";
    }

    private static void WriteEnqueue(SourceWriter w, EnqueueTarget job, bool transactional)
    {
        w.Open(EnqueueMethodEmitter.WriteDeclaration(w, job, many: false, transactional));
        if (job.Payload is { IsValueType: false })
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(payload);");
        }

        var serialized = job.Payload is null ? $"{job.PascalName}Job.EmptyPayload" : $"{job.PascalName}Job.Serialize(payload)";
        w.Line($"return _client.EnqueueAsync({(transactional ? "transaction, " : "")}{job.PascalName}Job.Definition, {serialized}, options, cancellationToken);");
        w.Close();
    }

    private static void WriteEnqueueMany(SourceWriter w, EnqueueTarget job, bool transactional)
    {
        w.Open(EnqueueMethodEmitter.WriteDeclaration(w, job, many: true, transactional));
        var definition = $"{(transactional ? "transaction, " : "")}{job.PascalName}Job.Definition";
        if (job.Payload is null)
        {
            w.Line("global::System.ArgumentOutOfRangeException.ThrowIfNegative(count);");
            w.Line($"return _client.EnqueueManyAsync({definition}, global::System.Linq.Enumerable.Repeat({job.PascalName}Job.EmptyPayload, count), options, cancellationToken);");
        }
        else
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(payloads);");
            // Lazily: the client streams the payloads into COPY as it enumerates them.
            var item = job.Payload.IsValueType ? "payload" : "payload ?? throw new global::System.ArgumentException(\"A payload is null.\", nameof(payloads))";
            w.Line($"return _client.EnqueueManyAsync({definition}, global::System.Linq.Enumerable.Select(payloads, static payload => {job.PascalName}Job.Serialize({item})), options, cancellationToken);");
        }

        w.Close();
    }

    private static void WriteJobClass(SourceWriter w, JobSpec job)
    {
        w.Line($"/// <summary>Definition, serializer and dispatch of job <c>{Header.Xml(job.Name)}</c>.</summary>");
        w.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
        w.Line(Header.GeneratedCode);
        w.Open($"internal static class {job.PascalName}Job");
        w.Line("/// <summary>The job's durable name and defaults.</summary>");
        WriteDefinition(w, job);
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

    private static void WriteDefinition(SourceWriter w, JobSpec job)
    {
        var create = $"public static readonly global::Queues.JobDefinition Definition = new global::Queues.JobDefinition({Header.Literal(job.Name)}, {Header.Literal(job.Queue)}, {job.Priority.ToString(CultureInfo.InvariantCulture)}, {job.MaxAttempts.ToString(CultureInfo.InvariantCulture)})";
        var options = job.Options;
        if (options.TimeoutSeconds == 0 && options.RetryBaseDelaySeconds == 0 && options.UniqueBy.Count == 0 && options.UniqueStates == 0 && options.Cron is null)
        {
            w.Line(create + ";");
            return;
        }

        w.Line(create);
        w.Line("{");
        if (options.TimeoutSeconds > 0)
        {
            w.Line($"    Timeout = global::System.TimeSpan.FromSeconds({options.TimeoutSeconds.ToString(CultureInfo.InvariantCulture)}),");
        }

        if (options.RetryBaseDelaySeconds > 0)
        {
            w.Line($"    RetryDelay = static attempt => global::Queues.RetryPolicy.Exponential(attempt, global::System.TimeSpan.FromSeconds({options.RetryBaseDelaySeconds.ToString("R", CultureInfo.InvariantCulture)}d)),");
        }

        if (options.UniqueBy.Count > 0)
        {
            w.Line($"    UniqueBy = new string[] {{ {string.Join(", ", options.UniqueBy.Select(Header.Literal))} }},");
        }

        if (options.UniqueStates != 0)
        {
            w.Line($"    UniqueStates = (global::Queues.UniqueStates){options.UniqueStates.ToString(CultureInfo.InvariantCulture)},");
        }

        if (options.Cron is not null)
        {
            w.Line($"    Cron = {Header.Literal(options.Cron)},");
        }

        w.Line("};");
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
