namespace Queues.Generator.Model;

/// <summary>The name of a job and where it is declared: what the duplicate-name check needs.</summary>
internal sealed record JobIdentity(string Name, string PascalName, LocationInfo? Location);

/// <summary>
/// One parsed <c>[Job]</c> method. <see cref="Spec"/> is null when the job cannot be generated; otherwise its payload
/// (if any) is still to be chosen from <see cref="Payload"/>. Equal when every member is equal; the location inside
/// <see cref="Identity"/> and the diagnostics make a moved method a new value, which is why the specs fed to emission
/// carry none.
/// </summary>
internal sealed record ParseResult(JobSpec? Spec, JobIdentity? Identity, EquatableArray<DiagnosticInfo> Diagnostics, PayloadCandidate? Payload);

/// <summary>
/// A payload's two possible serializers: the generated one (<see cref="Generated"/>, or the errors that prevent it) and
/// a user-owned JsonSerializerContext that lists <see cref="TypeName"/>. Equal when every member is equal.
/// </summary>
/// <param name="TypeName">The payload type, fully qualified, without nullable annotation: what [JsonSerializable] names.</param>
/// <param name="Declared">The payload type as the generated methods declare it.</param>
/// <param name="IsValueType">Whether the payload is a value type.</param>
/// <param name="Generated">The generated serializer's model, or null.</param>
/// <param name="GeneratedErrors">Why there is no generated serializer (empty when a type did not resolve).</param>
/// <param name="UniqueBy">The members of <c>UniqueBy</c>, checked to exist, in order.</param>
/// <param name="UniqueByLocation">Where <c>UniqueBy</c> is written, for a naming-policy error.</param>
internal sealed record PayloadCandidate(
    string TypeName,
    string Declared,
    bool IsValueType,
    PayloadSpec? Generated,
    EquatableArray<DiagnosticInfo> GeneratedErrors,
    EquatableArray<UniqueByMember> UniqueBy,
    LocationInfo? UniqueByLocation);

/// <summary>A payload property named in <c>UniqueBy</c> and its <c>[JsonPropertyName]</c>, if it has one.</summary>
internal sealed record UniqueByMember(string PropertyName, string? ExplicitJsonName);

/// <summary>A parsed job with its serializer chosen: the spec to emit (or null) and the diagnostics to report.</summary>
internal sealed record ResolvedJob(JobSpec? Spec, JobIdentity? Identity, EquatableArray<DiagnosticInfo> Diagnostics);
