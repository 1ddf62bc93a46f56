using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Queues.Generator.Model;

namespace Queues.Generator.Parsing;

/// <summary>
/// Walks a payload type and every type reachable from its members into <see cref="TypeSpec"/>s. Anything the emitted
/// serializer cannot handle becomes a QUE0003 diagnostic that names the member.
/// </summary>
internal sealed class PayloadParser
{
    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private readonly Dictionary<string, TypeSpec> _types = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
    private readonly List<DiagnosticInfo> _diagnostics;
    private readonly string _rootName;
    private readonly CancellationToken _cancellationToken;
    private bool _hasErrorType;

    private PayloadParser(string rootName, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        _rootName = rootName;
        _diagnostics = diagnostics;
        _cancellationToken = cancellationToken;
    }

    public static PayloadSpec? Parse(ITypeSymbol payloadType, Location? location, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var before = diagnostics.Count;
        var parser = new PayloadParser(payloadType.ToDisplayString(), diagnostics, cancellationToken);
        var root = parser.Reference(payloadType, location, "the payload", allowNullOverride: false);
        if (root is null || diagnostics.Count > before || parser._hasErrorType)
        {
            return null;
        }

        var types = parser._types.Values.OrderBy(static t => t.Id, StringComparer.Ordinal).ToEquatableArray();
        var rootType = payloadType.IsReferenceType ? payloadType.WithNullableAnnotation(NullableAnnotation.NotAnnotated) : payloadType;
        return new PayloadSpec(root, rootType.ToDisplayString(s_typeFormat), payloadType.IsValueType, types, Context: null);
    }

    private ValueRef? Reference(ITypeSymbol type, Location? location, string where, bool? allowNullOverride = null)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (type.TypeKind == Microsoft.CodeAnalysis.TypeKind.Error)
        {
            // A type that does not resolve: the compiler reports it, and a QUE0003 on top would only be noise.
            _hasErrorType = true;
            return null;
        }

        var allowNull = allowNullOverride ?? (type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated);
        var bare = type.IsReferenceType ? type.WithNullableAnnotation(NullableAnnotation.NotAnnotated) : type;
        var fullName = bare.ToDisplayString(s_typeFormat);
        var declared = allowNull ? fullName + "?" : fullName;
        var id = IdFor(fullName);
        if (_types.ContainsKey(id))
        {
            return new ValueRef(id, declared, allowNull || IsNullableValue(type));
        }

        if (_inProgress.Contains(id))
        {
            return Unsupported(location, $"{where} refers back to '{type.ToDisplayString()}', and cyclic payload graphs are not supported");
        }

        _inProgress.Add(id);
        try
        {
            var spec = Describe(bare, fullName, id, location, where);
            if (spec is null)
            {
                return null;
            }

            _types[id] = spec;
            return new ValueRef(id, declared, allowNull || spec.Kind == ShapeKind.Nullable);
        }
        finally
        {
            _inProgress.Remove(id);
        }
    }

    private TypeSpec? Describe(ITypeSymbol type, string fullName, string id, Location? location, string where)
    {
        var primitive = PrimitiveOf(type);
        if (primitive != Primitive.None)
        {
            return Spec(ShapeKind.Primitive, primitive, null);
        }

        if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte })
        {
            // As System.Text.Json writes it: one base64 string, not an array of numbers.
            return Spec(ShapeKind.Primitive, Primitive.Bytes, null);
        }

        if (type is IArrayTypeSymbol array)
        {
            if (array.Rank != 1)
            {
                return Fail($"{where} is a multi-dimensional array");
            }

            var element = Reference(array.ElementType, location, $"the elements of {where}");
            return element is null ? null : Spec(ShapeKind.Array, Primitive.None, element);
        }

        if (type is not INamedTypeSymbol named)
        {
            return Fail($"{where} has type '{type.ToDisplayString()}', which is not a class, record, struct or enum");
        }

        if (named.TypeKind == Microsoft.CodeAnalysis.TypeKind.Enum)
        {
            var converter = named.GetAttributes().FirstOrDefault(static a => a.AttributeClass?.ToDisplayString() == KnownTypeNames.JsonConverterAttribute);
            if (converter is not null && !IsStringEnumConverter(converter))
            {
                return Fail($"{where} has type '{named.ToDisplayString()}', which has a custom [JsonConverter]");
            }

            var members = new List<EnumMember>();
            var seen = new HashSet<string>();
            foreach (var field in named.GetMembers().OfType<IFieldSymbol>())
            {
                if (field.HasConstantValue && seen.Add(Convert.ToString(field.ConstantValue, CultureInfo.InvariantCulture)!))
                {
                    var jsonName = field.GetAttributes()
                        .Where(static a => a.AttributeClass?.ToDisplayString() == KnownTypeNames.JsonStringEnumMemberNameAttribute)
                        .Select(static a => a.ConstructorArguments.FirstOrDefault().Value as string)
                        .FirstOrDefault() ?? field.Name;
                    members.Add(new EnumMember(field.Name, jsonName, Convert.ToString(field.ConstantValue, CultureInfo.InvariantCulture)!));
                }
            }

            return new TypeSpec(id, fullName, ShapeKind.Enum, Primitive.None, true, null,
                named.EnumUnderlyingType!.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), members.ToEquatableArray(),
                EquatableArray<MemberSpec>.Empty,
                EnumIsFlags: named.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == KnownTypeNames.FlagsAttribute));
        }

        if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
        {
            var element = Reference(named.TypeArguments[0], location, where);
            return element is null ? null : Spec(ShapeKind.Nullable, Primitive.None, element);
        }

        var definition = named.OriginalDefinition.ToDisplayString();
        var collection = definition switch
        {
            "System.Collections.Generic.List<T>" or "System.Collections.Generic.IList<T>" or "System.Collections.Generic.ICollection<T>"
                or "System.Collections.Generic.IEnumerable<T>" or "System.Collections.Generic.IReadOnlyList<T>"
                or "System.Collections.Generic.IReadOnlyCollection<T>" => ShapeKind.List,
            "System.Collections.Generic.HashSet<T>" or "System.Collections.Generic.ISet<T>" or "System.Collections.Generic.IReadOnlySet<T>" => ShapeKind.HashSet,
            "System.Collections.Generic.Dictionary<TKey, TValue>" or "System.Collections.Generic.IDictionary<TKey, TValue>"
                or "System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>" => ShapeKind.Dictionary,
            _ => ShapeKind.Primitive,
        };
        if (collection == ShapeKind.Dictionary)
        {
            if (named.TypeArguments[0].SpecialType != SpecialType.System_String)
            {
                return Fail($"{where} is a dictionary with '{named.TypeArguments[0].ToDisplayString()}' keys; only string keys are supported");
            }

            var value = Reference(named.TypeArguments[1], location, $"the values of {where}");
            return value is null ? null : Spec(ShapeKind.Dictionary, Primitive.None, value);
        }

        if (collection != ShapeKind.Primitive)
        {
            var element = Reference(named.TypeArguments[0], location, $"the elements of {where}");
            return element is null ? null : Spec(collection, Primitive.None, element);
        }

        return DescribeObject(named, fullName, id, location, where);

        TypeSpec Spec(ShapeKind kind, Primitive p, ValueRef? element)
            => new(id, fullName, kind, p, type.IsValueType, element, "", EquatableArray<EnumMember>.Empty, EquatableArray<MemberSpec>.Empty);

        TypeSpec? Fail(string reason)
        {
            Unsupported(location, reason);
            return null;
        }
    }

    private TypeSpec? DescribeObject(INamedTypeSymbol type, string fullName, string id, Location? location, string where)
    {
        var display = type.ToDisplayString();
        foreach (var attribute in type.GetAttributes())
        {
            switch (attribute.AttributeClass?.ToDisplayString())
            {
                case KnownTypeNames.JsonConverterAttribute:
                    Unsupported(location, $"{where} has type '{display}', which has a custom [JsonConverter]");
                    return null;
                case KnownTypeNames.JsonPolymorphicAttribute:
                case KnownTypeNames.JsonDerivedTypeAttribute:
                    Unsupported(location, $"{where} has type '{display}', which is polymorphic ([JsonPolymorphic]/[JsonDerivedType])");
                    return null;
            }
        }

        if (type.TypeKind is not (Microsoft.CodeAnalysis.TypeKind.Class or Microsoft.CodeAnalysis.TypeKind.Struct)
            || type.IsAbstract || type.SpecialType == SpecialType.System_Object || type.TypeKind == Microsoft.CodeAnalysis.TypeKind.Delegate
            || type.AllInterfaces.Any(static i => i.OriginalDefinition.ToDisplayString() == "System.Collections.IEnumerable"))
        {
            Unsupported(location, $"{where} has type '{display}', which is abstract, an interface, object or an unsupported collection");
            return null;
        }

        var properties = new List<IPropertySymbol>();
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            foreach (var property in current.GetMembers().OfType<IPropertySymbol>())
            {
                if (property.IsStatic || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public
                    || property.IsOverride || properties.Any(p => p.Name == property.Name) || IsIgnored(property))
                {
                    continue;
                }

                if (type.IsRecord && property.Name == "EqualityContract")
                {
                    continue;
                }

                properties.Add(property);
            }
        }

        var constructors = type.InstanceConstructors.Where(static c => c.DeclaredAccessibility == Accessibility.Public && !IsCopyConstructor(c)).ToList();
        var constructor = constructors
            .Where(c => c.Parameters.All(p => properties.Any(m => string.Equals(m.Name, p.Name, StringComparison.OrdinalIgnoreCase))))
            .OrderByDescending(static c => c.Parameters.Length)
            .FirstOrDefault();
        if (constructor is null && !type.IsValueType)
        {
            Unsupported(location, $"'{display}' has no public constructor whose parameters all match properties by name (a parameterless one will do)");
            return null;
        }

        var members = new List<MemberSpec>();
        foreach (var property in properties)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var parameterIndex = constructor?.Parameters.IndexOf(
                constructor.Parameters.FirstOrDefault(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase))!) ?? -1;
            var parameter = parameterIndex >= 0 ? constructor!.Parameters[parameterIndex] : null;
            var setter = property.SetMethod;
            var writable = setter is not null && setter.DeclaredAccessibility == Accessibility.Public;
            var readable = property.GetMethod is not null && property.GetMethod.DeclaredAccessibility == Accessibility.Public;
            if (!readable)
            {
                continue;
            }

            var memberLocation = property.Locations.FirstOrDefault() ?? location;
            if (UnsupportedMemberAttribute(property) is { } unsupported)
            {
                Unsupported(memberLocation, $"'{type.Name}.{property.Name}' has {unsupported}");
                continue;
            }

            var value = Reference(property.Type, memberLocation, $"'{type.Name}.{property.Name}'");
            if (value is null)
            {
                continue;
            }

            var jsonName = property.GetAttributes()
                .Where(static a => a.AttributeClass?.ToDisplayString() == KnownTypeNames.JsonPropertyNameAttribute)
                .Select(static a => a.ConstructorArguments.FirstOrDefault().Value as string)
                .FirstOrDefault() ?? CamelCase(property.Name);

            string? defaultValue = null;
            var required = property.IsRequired || HasAttribute(property, KnownTypeNames.JsonRequiredAttribute);
            if (parameter is not null)
            {
                if (parameter.HasExplicitDefaultValue)
                {
                    defaultValue = FormatDefault(parameter);
                }
                else
                {
                    required |= !value.AllowNull;
                }
            }

            members.Add(new MemberSpec(property.Name, jsonName, value, parameterIndex, required,
                setter?.IsInitOnly == true, readable, writable || parameter is not null, defaultValue));
        }

        return new TypeSpec(id, fullName, ShapeKind.Object, Primitive.None, type.IsValueType, null, "",
            EquatableArray<EnumMember>.Empty, members.ToEquatableArray());
    }

    /// <summary>
    /// <c>[JsonIgnore]</c> (condition <c>Always</c>, the default) leaves a property out; <c>Condition = Never</c> keeps it.
    /// The conditional ones are reported by <see cref="UnsupportedMemberAttribute"/>.
    /// </summary>
    private static bool IsIgnored(IPropertySymbol property)
    {
        var ignore = property.GetAttributes().FirstOrDefault(static a => a.AttributeClass?.ToDisplayString() == KnownTypeNames.JsonIgnoreAttribute);
        return ignore is not null && IgnoreCondition(ignore) == JsonIgnoreAlways;
    }

    private const int JsonIgnoreNever = 0;
    private const int JsonIgnoreAlways = 1;

    private static int IgnoreCondition(AttributeData ignore)
        => ignore.NamedArguments.Where(static a => a.Key == "Condition").Select(static a => a.Value.Value is int c ? c : JsonIgnoreAlways)
            .DefaultIfEmpty(JsonIgnoreAlways).First();

    /// <summary>A System.Text.Json attribute on a member that the generated serializer does not honour, described; or null.</summary>
    private static string? UnsupportedMemberAttribute(IPropertySymbol property)
    {
        foreach (var attribute in property.GetAttributes())
        {
            switch (attribute.AttributeClass?.ToDisplayString())
            {
                case KnownTypeNames.JsonConverterAttribute when !(IsEnum(property.Type) && IsStringEnumConverter(attribute)):
                    return "a custom [JsonConverter]";
                case KnownTypeNames.JsonExtensionDataAttribute:
                    return "[JsonExtensionData]";
                case KnownTypeNames.JsonNumberHandlingAttribute:
                    return "[JsonNumberHandling]";
                case KnownTypeNames.JsonIgnoreAttribute when IgnoreCondition(attribute) is not (JsonIgnoreNever or JsonIgnoreAlways):
                    return "a conditional [JsonIgnore] (only the unconditional one is supported)";
            }
        }

        return null;
    }

    /// <summary>
    /// <c>[JsonConverter(typeof(JsonStringEnumConverter))]</c> on an enum asks for what the generated code does anyway:
    /// names, not numbers.
    /// </summary>
    private static bool IsStringEnumConverter(AttributeData converter)
        => converter.ConstructorArguments.FirstOrDefault().Value is INamedTypeSymbol type
            && type.OriginalDefinition.ToDisplayString() is "System.Text.Json.Serialization.JsonStringEnumConverter"
                or "System.Text.Json.Serialization.JsonStringEnumConverter<TEnum>";

    private static bool IsEnum(ITypeSymbol type)
        => type.TypeKind == Microsoft.CodeAnalysis.TypeKind.Enum
            || (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
                && nullable.TypeArguments[0].TypeKind == Microsoft.CodeAnalysis.TypeKind.Enum);

    private static bool HasAttribute(ISymbol symbol, string metadataName)
        => symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == metadataName);

    private static bool IsCopyConstructor(IMethodSymbol constructor)
        => constructor.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(constructor.Parameters[0].Type, constructor.ContainingType);

    private static string? FormatDefault(IParameterSymbol parameter)
    {
        if (parameter.ExplicitDefaultValue is null)
        {
            return null;
        }

        var literal = Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatPrimitive(parameter.ExplicitDefaultValue, quoteStrings: true, useHexadecimalNumbers: false);
        var type = parameter.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        return parameter.Type.TypeKind == Microsoft.CodeAnalysis.TypeKind.Enum || parameter.ExplicitDefaultValue is not (string or bool)
            ? $"({type.TrimEnd('?')})({literal})"
            : literal;
    }

    private static bool IsNullableValue(ITypeSymbol type) => type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;

    private ValueRef? Unsupported(Location? location, string reason)
    {
        _diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedPayload, location, _rootName, reason));
        return null;
    }

    /// <summary>
    /// System.Text.Json's <c>JsonNamingPolicy.CamelCase</c>: a leading run of capitals is lowercased as one word, so
    /// <c>HTMLTitle</c> → <c>htmlTitle</c> and <c>ID</c> → <c>id</c>, as a reflection or source-generated context writes them.
    /// </summary>
    internal static string CamelCase(string name)
    {
        if (name.Length == 0 || !char.IsUpper(name[0]))
        {
            return name;
        }

        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (i == 1 && !char.IsUpper(chars[i]))
            {
                break;
            }

            var hasNext = i + 1 < chars.Length;
            if (i > 0 && hasNext && !char.IsUpper(chars[i + 1]))
            {
                if (chars[i + 1] == ' ')
                {
                    chars[i] = char.ToLowerInvariant(chars[i]);
                }

                break;
            }

            chars[i] = char.ToLowerInvariant(chars[i]);
        }

        return new string(chars);
    }

    private static Primitive PrimitiveOf(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_String: return Primitive.String;
            case SpecialType.System_Boolean: return Primitive.Boolean;
            case SpecialType.System_Byte: return Primitive.Byte;
            case SpecialType.System_SByte: return Primitive.SByte;
            case SpecialType.System_Int16: return Primitive.Int16;
            case SpecialType.System_UInt16: return Primitive.UInt16;
            case SpecialType.System_Int32: return Primitive.Int32;
            case SpecialType.System_UInt32: return Primitive.UInt32;
            case SpecialType.System_Int64: return Primitive.Int64;
            case SpecialType.System_UInt64: return Primitive.UInt64;
            case SpecialType.System_Single: return Primitive.Single;
            case SpecialType.System_Double: return Primitive.Double;
            case SpecialType.System_Decimal: return Primitive.Decimal;
            case SpecialType.System_Char: return Primitive.Char;
            case SpecialType.System_DateTime: return Primitive.DateTime;
        }

        return type.ToDisplayString() switch
        {
            KnownTypeNames.Guid => Primitive.Guid,
            KnownTypeNames.DateTimeOffset => Primitive.DateTimeOffset,
            KnownTypeNames.DateOnly => Primitive.DateOnly,
            KnownTypeNames.TimeOnly => Primitive.TimeOnly,
            KnownTypeNames.TimeSpan => Primitive.TimeSpan,
            KnownTypeNames.Uri => Primitive.Uri,
            _ => Primitive.None,
        };
    }

    /// <summary>A short, stable identifier for a type: its name made identifier-safe plus a hash of the full name.</summary>
    private static string IdFor(string fullName)
    {
        var builder = new StringBuilder();
        var last = fullName.Replace("global::", "");
        var start = last.LastIndexOf('.', last.IndexOf('<') is var lt && lt >= 0 ? lt : last.Length - 1);
        foreach (var c in last.Substring(start + 1))
        {
            builder.Append(char.IsLetterOrDigit(c) ? c : '_');
        }

        var hash = 2166136261u;
        foreach (var c in fullName)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return builder.ToString().TrimEnd('_') + "_" + hash.ToString("x8", CultureInfo.InvariantCulture);
    }
}
