namespace Queues.Generator.Model;

/// <summary>
/// A user-declared <c>JsonSerializerContext</c>: its fully qualified name, its property naming policy (the
/// <c>JsonKnownNamingPolicy</c> value; 0 for none) and the fully qualified types it lists, sorted. Equal when every
/// member is equal.
/// </summary>
internal sealed record SerializerContextSpec(string TypeName, int NamingPolicy, EquatableArray<string> Types);
