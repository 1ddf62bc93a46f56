namespace Queues.Generator.Model;

/// <summary>Everything emission needs to know about one job. Values only: no symbols, syntax or locations.</summary>
internal sealed record JobSpec(
    string Name,
    string PascalName,
    string Queue,
    short Priority,
    int MaxAttempts,
    string HandlerType,
    string MethodName,
    bool IsStatic,
    EquatableArray<HandlerParameter> Parameters,
    HandlerReturn Return,
    EquatableArray<string> ConstructorParameters,
    DisposeKind Dispose,
    bool IsPublic,
    PayloadSpec? Payload);

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

/// <summary>A payload type and every type reachable from it, each serialized by one generated method pair.</summary>
internal sealed record PayloadSpec(ValueRef Root, EquatableArray<TypeSpec> Types);

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
    bool HasConstructor);

internal sealed record EnumMember(string Name, string Value);

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
