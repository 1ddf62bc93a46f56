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

    public static void EmitReferenced(SourceProductionContext context, (ReferencedJobSpec Job, GeneratorSettings Settings) input)
    {
        var (job, settings) = input;
        context.AddSource($"Queues.Job.{job.PascalName}.g.cs", RenderReferenced(job, settings));
    }

    public static string Render(JobSpec job, GeneratorSettings settings)
    {
        var w = Header.Start(settings.RootNamespace);
        w.Open("partial class Jobs");
        var handler = $"handled by <see cref=\"{Header.Xml(HandlerCref(job))}\"/>";
        var payload = job.Payload is null ? null : new EnqueuePayload(job.Payload.Root.Declared, job.Payload.IsValueType);
        var access = job.IsPublic ? "public" : "internal";
        WriteEnqueue(w, job.Name, job.PascalName, job.Queue, handler, access, payload,
            $"{job.PascalName}Job.Definition", job.Payload is null ? $"{job.PascalName}Job.EmptyPayload" : $"{job.PascalName}Job.Serialize(payload)");
        w.Line();
        WriteEnqueueMany(w, job.Name, job.PascalName, job.Queue, handler, access, payload, $"{job.PascalName}Job.Definition",
            job.Payload is null ? null : $"{job.PascalName}Job.Serialize");
        w.Line();
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
        var w = Header.Start(settings.RootNamespace);
        w.Open("partial class Jobs");
        var handler = $"declared and handled in assembly <c>{Header.Xml(job.Assembly)}</c>";
        var payload = job.Payload is null ? null : new EnqueuePayload(job.Payload, job.PayloadIsValueType);
        WriteDocs(w, job.Name, job.Queue, handler, payload, many: false);
        w.Line($"[global::Queues.JobEnqueueMethod({Header.Literal(job.Name)})]");
        w.Line($"public global::System.Threading.Tasks.Task<global::Queues.EnqueueResult> Enqueue{job.PascalName}Async(global::Npgsql.NpgsqlTransaction transaction, {(payload is null ? "" : payload.Type + " payload, ")}global::Queues.EnqueueOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)");
        w.Line($"    => new {job.JobsType}(_client).Enqueue{job.PascalName}Async(transaction, {(payload is null ? "" : "payload, ")}options, cancellationToken);");
        if (job.HasMany)
        {
            w.Line();
            WriteDocs(w, job.Name, job.Queue, handler, payload, many: true);
            w.Line($"[global::Queues.JobEnqueueMethod({Header.Literal(job.Name)})]");
            w.Line($"public global::System.Threading.Tasks.Task<int> Enqueue{job.PascalName}ManyAsync(global::Npgsql.NpgsqlTransaction transaction, {ManyParameter(payload)}, global::Queues.EnqueueOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)");
            w.Line($"    => new {job.JobsType}(_client).Enqueue{job.PascalName}ManyAsync(transaction, {(payload is null ? "count" : "payloads")}, options, cancellationToken);");
        }

        w.Close();
        w.Close();
        return w.ToString();
    }

    /// <summary>The payload parameter of an enqueue method: its declared type, and whether it can be null.</summary>
    private sealed record EnqueuePayload(string Type, bool IsValueType);

    private static string ManyParameter(EnqueuePayload? payload)
        => payload is null ? "int count" : $"global::System.Collections.Generic.IEnumerable<{payload.Type}> payloads";

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

    private static void WriteDocs(SourceWriter w, string name, string queue, string handler, EnqueuePayload? payload, bool many)
    {
        var job = $"job <c>{Header.Xml(name)}</c> (queue <c>{Header.Xml(queue)}</c>, {handler})";
        w.Line("/// <summary>");
        if (many)
        {
            w.Line(payload is null
                ? $"/// Enqueues <paramref name=\"count\"/> runs of {job}"
                : $"/// Enqueues one {job} per payload");
            w.Line("/// inside <paramref name=\"transaction\"/>, in one round trip: workers see them all once the transaction commits; if it rolls back, none existed.");
        }
        else
        {
            w.Line($"/// Enqueues {job}");
            w.Line("/// inside <paramref name=\"transaction\"/>: workers see it once the transaction commits; if it rolls back, the job never existed.");
        }

        w.Line("/// </summary>");
        w.Line("/// <param name=\"transaction\">The open transaction that also writes the data the job refers to.</param>");
        if (many)
        {
            w.Line(payload is null
                ? "/// <param name=\"count\">How many jobs to enqueue.</param>"
                : "/// <param name=\"payloads\">The payloads, one job each, stored as JSON; enumerated once.</param>");
        }
        else if (payload is not null)
        {
            w.Line("/// <param name=\"payload\">The job's payload, stored as JSON.</param>");
        }

        w.Line($"/// <param name=\"options\">Overrides of run time, priority, queue or attempts{(many ? " for every job" : "")}; null for the job's defaults.</param>");
        w.Line("/// <param name=\"cancellationToken\">Cancels the insert.</param>");
        w.Line(many
            ? "/// <returns>The number of jobs inserted; for a unique job, payloads whose key is already held are skipped and not counted.</returns>"
            : "/// <returns>The new job's id; for a unique job whose key is already held, the holder's id with <see cref=\"global::Queues.EnqueueResult.IsDuplicate\"/> set.</returns>");
        w.Line("/// <exception cref=\"global::System.InvalidOperationException\">The transaction has already been committed, rolled back or disposed.</exception>");
    }

    private static void WriteEnqueue(SourceWriter w, string name, string pascal, string queue, string handler, string access, EnqueuePayload? payload,
        string definition, string serialized)
    {
        WriteDocs(w, name, queue, handler, payload, many: false);
        w.Line($"[global::Queues.JobEnqueueMethod({Header.Literal(name)})]");
        var payloadParameter = payload is null ? "" : $"{payload.Type} payload, ";
        w.Open($"{access} global::System.Threading.Tasks.Task<global::Queues.EnqueueResult> Enqueue{pascal}Async(global::Npgsql.NpgsqlTransaction transaction, {payloadParameter}global::Queues.EnqueueOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)");
        if (payload is { IsValueType: false })
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(payload);");
        }

        w.Line($"return _client.EnqueueAsync(transaction, {definition}, {serialized}, options, cancellationToken);");
        w.Close();
    }

    private static void WriteEnqueueMany(SourceWriter w, string name, string pascal, string queue, string handler, string access, EnqueuePayload? payload,
        string definition, string? serialize)
    {
        WriteDocs(w, name, queue, handler, payload, many: true);
        w.Line($"[global::Queues.JobEnqueueMethod({Header.Literal(name)})]");
        w.Open($"{access} global::System.Threading.Tasks.Task<int> Enqueue{pascal}ManyAsync(global::Npgsql.NpgsqlTransaction transaction, {ManyParameter(payload)}, global::Queues.EnqueueOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)");
        if (payload is null)
        {
            w.Line("global::System.ArgumentOutOfRangeException.ThrowIfNegative(count);");
            w.Line($"return _client.EnqueueManyAsync(transaction, {definition}, global::System.Linq.Enumerable.Repeat({pascal}Job.EmptyPayload, count), options, cancellationToken);");
        }
        else
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(payloads);");
            // Lazily: the client streams the payloads into COPY as it enumerates them.
            var item = payload.IsValueType ? "payload" : "payload ?? throw new global::System.ArgumentException(\"A payload is null.\", nameof(payloads))";
            w.Line($"return _client.EnqueueManyAsync(transaction, {definition}, global::System.Linq.Enumerable.Select(payloads, static payload => {serialize}({item})), options, cancellationToken);");
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
