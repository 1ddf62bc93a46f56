using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Queues.Generator.Emit;
using Queues.Generator.Model;
using Queues.Generator.Parsing;

namespace Queues.Generator;

/// <summary>
/// For every method marked <c>[Job("name")]</c>: a typed <c>Enqueue{Name}Async</c> on the project's <c>Jobs</c> class,
/// a reflection-free payload serializer and an entry in the dispatch table registered by <c>AddJobs()</c>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class JobGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Where the enqueue class goes, checked against this project's namespaces and types; null when it cannot go there.
        var checkedSettings = context.AnalyzerConfigOptionsProvider
            .Combine(context.CompilationProvider.Select(static (c, _) => c.AssemblyName))
            .Select(static (input, _) => SettingsParser.Parse(input.Left.GlobalOptions, input.Right))
            .WithTrackingName(TrackingNames.Settings)
            .Combine(context.CompilationProvider)
            .Select(static (input, ct) => SettingsParser.Check(input.Left, input.Right, ct))
            .WithTrackingName(TrackingNames.CheckedSettings);
        context.RegisterSourceOutput(checkedSettings.Select(static (s, _) => s.Clash), static (spc, clash) =>
        {
            if (clash is not null)
            {
                spc.ReportDiagnostic(clash.ToDiagnostic());
            }
        });
        // A global using needs C# 10; an older language version gets the class without the alias.
        var settings = checkedSettings
            .Combine(context.ParseOptionsProvider.Select(static (o, _) => o is CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp10 }))
            .Select(static (input, _) => input.Left.Clash is not null ? null
                : input.Right ? input.Left.Settings : input.Left.Settings with { GlobalUsing = false });

        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(KnownTypeNames.JobAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax,
                static (ctx, ct) => JobParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.ParseJobs);

        // User-owned JsonSerializerContexts: a payload type one of them lists is serialized through it.
        var serializerContexts = context.SyntaxProvider
            .ForAttributeWithMetadataName(KnownTypeNames.JsonSerializableAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (ctx, ct) => SerializerContextParser.Parse(ctx, ct))
            .Where(static c => c is not null)
            .Collect()
            .Select(static (all, _) => SerializerContextParser.Merge(all!))
            .WithTrackingName(TrackingNames.SerializerContexts);

        var resolved = parsed
            .Combine(serializerContexts)
            .Select(static (input, ct) => JobResolver.Resolve(input, ct))
            .WithTrackingName(TrackingNames.ResolveJobs);

        context.RegisterSourceOutput(resolved.Select(static (r, _) => r.Diagnostics), static (spc, diagnostics) =>
        {
            foreach (var diagnostic in diagnostics)
            {
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        // Jobs declared in referenced assemblies: enqueue methods here, handlers (and dispatch) there.
        var referenced = context.CompilationProvider
            .Select(static (compilation, ct) => ReferencedJobParser.Parse(compilation, ct))
            .WithTrackingName(TrackingNames.ReferencedJobs);

        var identities = resolved.Where(static r => r.Identity is not null).Select(static (r, _) => r.Identity!).Collect();
        context.RegisterSourceOutput(identities.Combine(referenced), static (spc, input) =>
        {
            foreach (var diagnostic in Duplicates.Find(input.Left, input.Right))
            {
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        // Collect, drop every job whose name clashes, and split again: items that did not change stay cached, so one
        // handler's edit regenerates one file.
        var specs = resolved
            .Where(static r => r.Spec is not null)
            .Select(static (r, _) => r.Spec!)
            .Collect()
            .Combine(referenced)
            .SelectMany(static (input, _) => Duplicates.Remove(input.Left, input.Right))
            .WithTrackingName(TrackingNames.Specs);

        var localNames = identities.Select(static (all, _) => Duplicates.Names(all));
        var referencedSpecs = referenced
            .Combine(localNames)
            .SelectMany(static (input, _) => Duplicates.Remove(input.Left, input.Right));

        context.RegisterSourceOutput(specs.Combine(settings), JobEmitter.Emit);
        context.RegisterSourceOutput(referencedSpecs.Combine(settings), JobEmitter.EmitReferenced);

        var registry = specs.Collect()
            .Combine(referencedSpecs.Collect())
            .Select(static (input, ct) => JobRegistration.From(input.Left, input.Right, ct))
            .WithTrackingName(TrackingNames.Registry);
        context.RegisterSourceOutput(registry.Combine(settings), RegistryEmitter.Emit);
    }
}
