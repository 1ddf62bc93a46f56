using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Queues.Generator.Model;

namespace Queues.Generator.Parsing;

/// <summary>
/// Finds the jobs declared in referenced assemblies (a shared contracts project), so this project can enqueue them
/// without their handlers. A job qualifies when its assembly has a public <c>[Job]</c> method and the public generated
/// <c>Enqueue{Name}Async</c> for it (found by its <c>[JobEnqueueMethod]</c> marker): the enqueue methods generated here
/// delegate to that one, so the definition and serializer are exactly those the job's own workers use.
/// </summary>
/// <remarks>
/// Runs on every compilation change, so it stays cheap: only assemblies that reference the Queues runtime are opened,
/// and the output is a sorted array of values, equal from one keystroke to the next.
/// </remarks>
internal static class ReferencedJobParser
{
    private const string RuntimeAssembly = "Queues";

    public static EquatableArray<ReferencedJobSpec> Parse(Compilation compilation, CancellationToken cancellationToken)
    {
        var result = new List<ReferencedJobSpec>();
        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (assembly.Name == RuntimeAssembly || !assembly.Modules.Any(static m => m.ReferencedAssemblies.Any(static a => a.Name == RuntimeAssembly)))
            {
                continue;
            }

            var jobs = new Dictionary<string, string>(StringComparer.Ordinal);
            var enqueueMethods = new List<(string JobName, IMethodSymbol Method)>();
            Visit(assembly.GlobalNamespace, jobs, enqueueMethods, cancellationToken);
            foreach (var pair in jobs.OrderBy(static p => p.Key, StringComparer.Ordinal))
            {
                var pascal = JobNames.ToPascalCase(pair.Key);
                var methods = enqueueMethods.Where(m => m.JobName == pair.Key).Select(static m => m.Method).ToList();
                var single = methods.FirstOrDefault(m => m.Name == $"Enqueue{pascal}Async" && IsTransactional(m));
                if (pascal is null || single is null || single.Parameters.Length is not (3 or 4))
                {
                    continue;
                }

                var siblings = methods.Where(m => SymbolEqualityComparer.Default.Equals(m.ContainingType, single.ContainingType)).ToList();
                var many = siblings.Any(m => m.Name == $"Enqueue{pascal}ManyAsync" && IsTransactional(m));
                var fireAndForget = siblings.Any(m => m.Name == $"Enqueue{pascal}Async" && !IsTransactional(m));
                var fireAndForgetMany = siblings.Any(m => m.Name == $"Enqueue{pascal}ManyAsync" && !IsTransactional(m));
                var payload = single.Parameters.Length == 4 ? single.Parameters[1].Type : null;
                result.Add(new ReferencedJobSpec(
                    pair.Key,
                    pascal,
                    pair.Value,
                    assembly.Name,
                    single.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                    payload?.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier)),
                    payload?.IsValueType == true,
                    many,
                    fireAndForget,
                    fireAndForgetMany));
            }
        }

        return result.OrderBy(static j => j.Name, StringComparer.Ordinal).ToEquatableArray();
    }

    /// <summary>
    /// Whether a generated enqueue method takes the caller's transaction (its first parameter); the fire-and-forget
    /// overloads take none.
    /// </summary>
    private static bool IsTransactional(IMethodSymbol method)
        => method.Parameters.Length > 0 && method.Parameters[0].Type.ToDisplayString() == KnownTypeNames.NpgsqlTransaction;

    private static void Visit(INamespaceOrTypeSymbol container, Dictionary<string, string> jobs, List<(string, IMethodSymbol)> enqueueMethods, CancellationToken cancellationToken)
    {
        foreach (var member in container.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (member)
            {
                case INamespaceSymbol ns:
                    Visit(ns, jobs, enqueueMethods, cancellationToken);
                    break;
                case INamedTypeSymbol { DeclaredAccessibility: Accessibility.Public } type:
                    foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
                    {
                        if (method.DeclaredAccessibility != Accessibility.Public)
                        {
                            continue;
                        }

                        foreach (var attribute in method.GetAttributes())
                        {
                            var name = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;
                            switch (attribute.AttributeClass?.ToDisplayString())
                            {
                                case KnownTypeNames.JobAttribute when name is not null:
                                    jobs[name] = attribute.NamedArguments.Where(static a => a.Key == "Queue").Select(static a => a.Value.Value as string).FirstOrDefault() ?? "default";
                                    break;
                                case KnownTypeNames.JobEnqueueMethodAttribute when name is not null && !method.IsStatic:
                                    enqueueMethods.Add((name, method));
                                    break;
                            }
                        }
                    }

                    Visit(type, jobs, enqueueMethods, cancellationToken);
                    break;
            }
        }
    }
}
