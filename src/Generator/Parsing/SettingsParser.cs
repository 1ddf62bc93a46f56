using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Queues.Generator.Model;

namespace Queues.Generator.Parsing;

/// <summary>
/// Reads where the generated enqueue class goes from the build (<c>build_property.*</c>; the package's
/// <c>buildTransitive/Queues.props</c> makes the properties visible to the compiler), and checks that the compilation
/// leaves room for it.
/// </summary>
internal static class SettingsParser
{
    public const string NamespaceProperty = "build_property.QueuesJobsNamespace";
    public const string ClassNameProperty = "build_property.QueuesJobsClassName";
    public const string GlobalUsingProperty = "build_property.QueuesJobsGlobalUsing";
    public const string RootNamespaceProperty = "build_property.RootNamespace";
    public const string DefaultClassName = "Jobs";

    public static GeneratorSettings Parse(AnalyzerConfigOptions options, string? assemblyName)
    {
        var ns = Read(options, NamespaceProperty) ?? Read(options, RootNamespaceProperty) ?? assemblyName ?? "Queues.Generated";
        var globalUsing = !string.Equals(Read(options, GlobalUsingProperty), "false", System.StringComparison.OrdinalIgnoreCase);
        return new GeneratorSettings(ns, Read(options, ClassNameProperty) ?? DefaultClassName, globalUsing);
    }

    /// <summary>
    /// Whether <c>{Namespace}.{ClassName}</c> can be declared: both are identifiers, and this project's own code has no
    /// namespace of that name (a <c>Jobs</c> folder) and no type of that name other than a partial class that extends it.
    /// </summary>
    public static CheckedSettings Check(GeneratorSettings settings, Compilation compilation, CancellationToken cancellationToken)
    {
        var display = $"{settings.Namespace}.{settings.ClassName}";
        if (!SyntaxFacts.IsValidIdentifier(settings.ClassName) || SyntaxFacts.GetKeywordKind(settings.ClassName) != SyntaxKind.None)
        {
            return Clash(null, "'{0}' is not a C# identifier", settings.ClassName);
        }

        var parts = settings.Namespace.Split('.');
        if (parts.Any(static p => !SyntaxFacts.IsValidIdentifier(p) || SyntaxFacts.GetKeywordKind(p) != SyntaxKind.None))
        {
            return Clash(null, "'{0}' is not a C# namespace", settings.Namespace);
        }

        // The alias would clash with a type or namespace of the global namespace, here or in a reference (CS0576).
        if (settings.GlobalUsing && compilation.GlobalNamespace.GetMembers(settings.ClassName).Any())
        {
            settings = settings with { GlobalUsing = false };
        }

        // The source assembly's namespaces only: a referenced assembly's namespace or type of the same name does not
        // stop the class from being declared.
        INamespaceSymbol? container = compilation.Assembly.GlobalNamespace;
        foreach (var part in parts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            container = container.GetNamespaceMembers().FirstOrDefault(n => n.Name == part);
            if (container is null)
            {
                return new CheckedSettings(settings, null);
            }
        }

        if (container.GetNamespaceMembers().FirstOrDefault(n => n.Name == settings.ClassName) is { } clashingNamespace)
        {
            return Clash(clashingNamespace.Locations.FirstOrDefault(static l => l.IsInSource), "this project declares a namespace of that name");
        }

        foreach (var type in container.GetTypeMembers(settings.ClassName, 0))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var declarations = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).ToList();
            if (declarations.Count == 0 || !declarations.All(static d => d is ClassDeclarationSyntax c
                    && c.Modifiers.Any(SyntaxKind.PartialKeyword) && !c.Modifiers.Any(SyntaxKind.StaticKeyword) && !c.Modifiers.Any(SyntaxKind.AbstractKeyword)))
            {
                return Clash(type.Locations.FirstOrDefault(static l => l.IsInSource), "this project declares a type of that name that is not a non-static partial class");
            }
        }

        return new CheckedSettings(settings, null);

        CheckedSettings Clash(Location? location, string reason, string? argument = null)
            => new(settings, DiagnosticInfo.Create(Descriptors.JobsClassClash, location, display,
                argument is null ? reason : string.Format(System.Globalization.CultureInfo.InvariantCulture, reason, argument)));
    }

    private static string? Read(AnalyzerConfigOptions options, string key)
        => options.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
