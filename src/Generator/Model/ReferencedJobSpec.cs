namespace Queues.Generator.Model;

/// <summary>
/// A job declared in a referenced assembly, enqueued through that assembly's own generated <c>Jobs</c> class so that
/// the definition and serializer are exactly the ones its workers use. Equal when every member is equal.
/// </summary>
/// <param name="Name">The durable job name.</param>
/// <param name="PascalName">The name in <c>Enqueue{PascalName}Async</c>.</param>
/// <param name="Queue">The attribute's queue, for the XML docs.</param>
/// <param name="Assembly">The declaring assembly's name, for the XML docs.</param>
/// <param name="JobsType">The referenced assembly's generated <c>Jobs</c> class, fully qualified.</param>
/// <param name="Payload">The payload type as declared, or null for a job without payload.</param>
/// <param name="PayloadIsValueType">Whether the payload is a value type.</param>
/// <param name="HasMany">Whether the referenced <c>Jobs</c> has the transactional <c>Enqueue{PascalName}ManyAsync</c>.</param>
/// <param name="HasFireAndForget">Whether it has <c>Enqueue{PascalName}Async</c> without a transaction.</param>
/// <param name="HasFireAndForgetMany">Whether it has <c>Enqueue{PascalName}ManyAsync</c> without a transaction.</param>
internal sealed record ReferencedJobSpec(
    string Name,
    string PascalName,
    string Queue,
    string Assembly,
    string JobsType,
    string? Payload,
    bool PayloadIsValueType,
    bool HasMany,
    bool HasFireAndForget,
    bool HasFireAndForgetMany);
