namespace Queues.Generator.Emit;

/// <summary>
/// Writes the declaration of a generated enqueue method: its XML docs, its <c>[JobEnqueueMethod]</c> marker and its
/// signature. Jobs of this project and jobs of referenced assemblies get the same methods; only the bodies differ.
/// </summary>
internal static class EnqueueMethodEmitter
{
    /// <summary>
    /// Writes the docs and the marker, then returns the signature line for the caller to give a body. A
    /// <paramref name="transactional"/> method takes the caller's <c>NpgsqlTransaction</c> first; the others take none
    /// (fire-and-forget: one autocommitted statement, or one transaction of their own for many).
    /// </summary>
    public static string WriteDeclaration(SourceWriter w, EnqueueTarget job, bool many, bool transactional)
    {
        WriteDocs(w, job, many, transactional);
        w.Line($"[global::Queues.JobEnqueueMethod({Header.Literal(job.Name)})]");
        var transaction = transactional ? "global::Npgsql.NpgsqlTransaction transaction, " : "";
        return many
            ? $"{job.Access} global::System.Threading.Tasks.Task<int> Enqueue{job.PascalName}ManyAsync({transaction}{ManyParameter(job.Payload)}, {TrailingParameters}"
            : $"{job.Access} global::System.Threading.Tasks.Task<global::Queues.EnqueueResult> Enqueue{job.PascalName}Async({transaction}{(job.Payload is null ? "" : job.Payload.Type + " payload, ")}{TrailingParameters}";
    }

    /// <summary>The arguments that pass every parameter of the method on to a method of the same shape.</summary>
    public static string ForwardedArguments(EnqueueTarget job, bool many, bool transactional)
        => $"{(transactional ? "transaction, " : "")}{(many ? (job.Payload is null ? "count, " : "payloads, ") : (job.Payload is null ? "" : "payload, "))}options, cancellationToken";

    private const string TrailingParameters = "global::Queues.EnqueueOptions? options = null, global::System.Threading.CancellationToken cancellationToken = default)";

    private static string ManyParameter(EnqueuePayload? payload)
        => payload is null ? "int count" : $"global::System.Collections.Generic.IEnumerable<{payload.Type}> payloads";

    private static void WriteDocs(SourceWriter w, EnqueueTarget target, bool many, bool transactional)
    {
        if (!transactional)
        {
            WriteFireAndForgetDocs(w, target, many);
            return;
        }

        var job = $"job <c>{Header.Xml(target.Name)}</c> (queue <c>{Header.Xml(target.Queue)}</c>, {target.HandlerDoc})";
        w.Line("/// <summary>");
        if (many)
        {
            w.Line(target.Payload is null
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
            w.Line(target.Payload is null
                ? "/// <param name=\"count\">How many jobs to enqueue.</param>"
                : "/// <param name=\"payloads\">The payloads, one job each, stored as JSON; enumerated once.</param>");
        }
        else if (target.Payload is not null)
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

    private static void WriteFireAndForgetDocs(SourceWriter w, EnqueueTarget target, bool many)
    {
        var job = $"job <c>{Header.Xml(target.Name)}</c> (queue <c>{Header.Xml(target.Queue)}</c>, {target.HandlerDoc})";
        w.Line("/// <summary>");
        if (many)
        {
            w.Line(target.Payload is null
                ? $"/// Enqueues <paramref name=\"count\"/> runs of {job}"
                : $"/// Enqueues one {job} per payload");
            w.Line("/// in a transaction of its own: all or none, committed before this returns.");
        }
        else
        {
            w.Line($"/// Enqueues {job}");
            w.Line("/// on its own: one autocommitted statement on a pooled connection.");
        }

        w.Line("/// For enqueues that write no data; beside data writes this is a dual write (the data can commit without the job,");
        w.Line("/// or the job run without the data) — use the overload that takes the <see cref=\"global::Npgsql.NpgsqlTransaction\"/>.");
        w.Line("/// </summary>");
        if (many)
        {
            w.Line(target.Payload is null
                ? "/// <param name=\"count\">How many jobs to enqueue.</param>"
                : "/// <param name=\"payloads\">The payloads, one job each, stored as JSON; enumerated once.</param>");
        }
        else if (target.Payload is not null)
        {
            w.Line("/// <param name=\"payload\">The job's payload, stored as JSON.</param>");
        }

        w.Line($"/// <param name=\"options\">Overrides of run time, priority, queue or attempts{(many ? " for every job" : "")}; null for the job's defaults.</param>");
        w.Line(many
            ? "/// <param name=\"cancellationToken\">Cancels the insert; nothing is inserted then.</param>"
            : "/// <param name=\"cancellationToken\">Cancels the insert.</param>");
        w.Line(many
            ? "/// <returns>The number of jobs inserted; for a unique job, payloads whose key is already held are skipped and not counted.</returns>"
            : "/// <returns>The new job's id; for a unique job whose key is already held, the holder's id with <see cref=\"global::Queues.EnqueueResult.IsDuplicate\"/> set.</returns>");
    }
}

/// <summary>What the enqueue methods of one job are declared with. Equal when every member is equal.</summary>
/// <param name="Name">The durable job name.</param>
/// <param name="PascalName">The name in <c>Enqueue{PascalName}Async</c>.</param>
/// <param name="Queue">The attribute's queue, for the docs.</param>
/// <param name="HandlerDoc">The docs' phrase that says who handles the job.</param>
/// <param name="Access">The methods' accessibility.</param>
/// <param name="Payload">The payload parameter, or null for a job without payload.</param>
internal sealed record EnqueueTarget(string Name, string PascalName, string Queue, string HandlerDoc, string Access, EnqueuePayload? Payload);

/// <summary>The payload parameter of an enqueue method: its declared type, and whether it can be null.</summary>
internal sealed record EnqueuePayload(string Type, bool IsValueType);
