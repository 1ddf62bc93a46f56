using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Queues.Generator.Model;

namespace Queues.Generator.Parsing;

/// <summary>
/// Reads a user-declared <c>JsonSerializerContext</c> (a class with <c>[JsonSerializable]</c>) into the payload types it
/// serializes. Such a context is the escape hatch for payload shapes the generated serializer does not support.
/// </summary>
internal static class SerializerContextParser
{
    private const int JsonSerializerDefaultsWeb = 1;
    private const int NamingPolicyCamelCase = 1;

    public static SerializerContextSpec? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || type.IsGenericType || type.IsAbstract || !IsReachable(type) || !DerivesFromContext(type))
        {
            return null;
        }

        var types = context.Attributes
            .Select(static a => a.ConstructorArguments.FirstOrDefault().Value as ITypeSymbol)
            .Where(static t => t is not null && t.TypeKind != TypeKind.Error)
            .Select(static t => (t!.IsReferenceType ? t.WithNullableAnnotation(NullableAnnotation.NotAnnotated) : t).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat))
            .Distinct()
            .OrderBy(static t => t, System.StringComparer.Ordinal)
            .ToEquatableArray();
        cancellationToken.ThrowIfCancellationRequested();
        return types.Count == 0 ? null : new SerializerContextSpec(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), NamingPolicy(type), types);
    }

    /// <summary>One spec per context (a partial class may carry [JsonSerializable] on several declarations), sorted.</summary>
    public static EquatableArray<SerializerContextSpec> Merge(ImmutableArray<SerializerContextSpec> all)
        => all.GroupBy(static c => c.TypeName, StringComparer.Ordinal)
            .OrderBy(static g => g.Key, StringComparer.Ordinal)
            .Select(static g => new SerializerContextSpec(
                g.Key,
                g.First().NamingPolicy,
                g.SelectMany(static c => c.Types).Distinct().OrderBy(static t => t, StringComparer.Ordinal).ToEquatableArray()))
            .ToEquatableArray();

    /// <summary>The <c>JsonKnownNamingPolicy</c> of the context's <c>[JsonSourceGenerationOptions]</c>: explicit, or camelCase for web defaults.</summary>
    private static int NamingPolicy(INamedTypeSymbol type)
    {
        var options = type.GetAttributes().FirstOrDefault(static a => a.AttributeClass?.ToDisplayString() == KnownTypeNames.JsonSourceGenerationOptionsAttribute);
        if (options is null)
        {
            return 0;
        }

        foreach (var argument in options.NamedArguments)
        {
            if (argument.Key == "PropertyNamingPolicy" && argument.Value.Value is int policy)
            {
                return policy;
            }
        }

        return options.ConstructorArguments.FirstOrDefault().Value is JsonSerializerDefaultsWeb ? NamingPolicyCamelCase : 0;
    }

    private static bool DerivesFromContext(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == KnownTypeNames.JsonSerializerContext)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether generated code elsewhere in the project can use <c>Context.Default</c>.</summary>
    private static bool IsReachable(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsFileLocal || current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }

        return true;
    }
}
