namespace Queues.Generator.Model;

/// <summary>Everything emission needs to know about one job. Values only: no symbols, syntax or locations.</summary>
/// <remarks>
/// Equal when every member is equal (<see cref="EquatableArray{T}"/> compares by content), so an edit that leaves the
/// job's declaration as it was leaves the spec equal and its file cached.
/// </remarks>
internal sealed record JobSpec(
    string Name,
    string PascalName,
    string Queue,
    short Priority,
    int MaxAttempts,
    JobOptionsSpec Options,
    string HandlerType,
    string MethodName,
    bool IsStatic,
    EquatableArray<HandlerParameter> Parameters,
    HandlerReturn Return,
    EquatableArray<string> ConstructorParameters,
    DisposeKind Dispose,
    bool IsPublic,
    PayloadSpec? Payload);

/// <summary>
/// The <c>[Job]</c> options beyond queue, priority and attempts, as the constants the attribute holds. Equal when every
/// member is equal.
/// </summary>
/// <param name="TimeoutSeconds">0 for no timeout.</param>
/// <param name="RetryBaseDelaySeconds">0 for the worker's default retry delay.</param>
/// <param name="UniqueBy">JSON property names of the payload, in the attribute's order.</param>
/// <param name="Cron">A validated five-field cron expression, or null.</param>
/// <param name="UniqueStates">The value of <c>UniqueStates</c>: flags of finished states (1 completed, 2 cancelled, 4 discarded).</param>
internal sealed record JobOptionsSpec(int TimeoutSeconds, double RetryBaseDelaySeconds, EquatableArray<string> UniqueBy, string? Cron, int UniqueStates);

internal enum HandlerParameter
{
    Payload,
    Context,
    CancellationToken,
}

internal enum HandlerReturn
{
    Void,
    Task,
    ValueTask,
}

internal enum DisposeKind
{
    None,
    Sync,
    Async,
}

/// <summary>
/// A payload type and every type reachable from it, each serialized by one generated method pair; or, when
/// <paramref name="Context"/> is set, a payload serialized through that user-owned <c>JsonSerializerContext</c>
/// (then <paramref name="Types"/> is empty). Equal when every member is equal.
/// </summary>
/// <param name="Root">The payload type as the handler declares it.</param>
/// <param name="RootType">The payload type without nullable annotation, fully qualified.</param>
/// <param name="IsValueType">Whether the payload is a value type (no null check on enqueue).</param>
/// <param name="Types">Every type the generated serializer handles, ordered by id.</param>
/// <param name="Context">The fully qualified name of the user's JsonSerializerContext, or null.</param>
internal sealed record PayloadSpec(ValueRef Root, string RootType, bool IsValueType, EquatableArray<TypeSpec> Types, string? Context);

/// <summary>A use of a type: which type, its declared C# spelling (nullable annotation included) and whether JSON null is allowed.</summary>
internal sealed record ValueRef(string TypeId, string Declared, bool AllowNull);

internal enum ShapeKind
{
    Primitive,
    Enum,
    Nullable,
    Array,
    List,
    HashSet,
    Dictionary,
    Object,
}

internal enum Primitive
{
    None,
    String,
    Boolean,
    Byte,
    SByte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Single,
    Double,
    Decimal,
    Char,
    Guid,
    DateTime,
    DateTimeOffset,
    DateOnly,
    TimeOnly,
    TimeSpan,
    Uri,
    Bytes,
}

internal sealed record TypeSpec(
    string Id,
    string FullName,
    ShapeKind Kind,
    Primitive Primitive,
    bool IsValueType,
    ValueRef? Element,
    string EnumUnderlying,
    EquatableArray<EnumMember> EnumMembers,
    EquatableArray<MemberSpec> Members,
    bool EnumIsFlags = false);

/// <summary>An enum member: its C# name, the name written to JSON and its numeric value.</summary>
internal sealed record EnumMember(string Name, string JsonName, string Value);

/// <summary>A payload property. <paramref name="ConstructorIndex"/> is -1 when it is set after construction.</summary>
internal sealed record MemberSpec(
    string PropertyName,
    string JsonName,
    ValueRef Value,
    int ConstructorIndex,
    bool Required,
    bool InitOnly,
    bool Readable,
    bool Writable,
    string? DefaultValue);
