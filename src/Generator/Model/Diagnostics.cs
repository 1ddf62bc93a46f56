using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Queues.Generator.Model;

/// <summary>A location without a reference to its syntax tree, so diagnostics can travel through the pipeline.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location)
        => location?.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
}

/// <summary>A diagnostic to report, as values.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
        => new(descriptor.Id, LocationInfo.From(location), new EquatableArray<string>(arguments));

    public Diagnostic ToDiagnostic()
        => Diagnostic.Create(Descriptors.ById(Id), Location?.ToLocation(), Arguments.AsSpan().ToArray());
}

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

/// <summary>
/// A user-declared <c>JsonSerializerContext</c>: its fully qualified name, its property naming policy (the
/// <c>JsonKnownNamingPolicy</c> value; 0 for none) and the fully qualified types it lists, sorted. Equal when every
/// member is equal.
/// </summary>
internal sealed record SerializerContextSpec(string TypeName, int NamingPolicy, EquatableArray<string> Types);

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
/// <param name="HasMany">Whether the referenced <c>Jobs</c> has <c>Enqueue{PascalName}ManyAsync</c>.</param>
internal sealed record ReferencedJobSpec(
    string Name,
    string PascalName,
    string Queue,
    string Assembly,
    string JobsType,
    string? Payload,
    bool PayloadIsValueType,
    bool HasMany);

/// <summary>Project-level facts the emitters need.</summary>
internal sealed record GeneratorSettings(string RootNamespace);
