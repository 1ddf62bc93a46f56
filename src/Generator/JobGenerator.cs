using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
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
        var settings = context.AnalyzerConfigOptionsProvider
            .Combine(context.CompilationProvider.Select(static (c, _) => c.AssemblyName ?? "Queues.Generated"))
            .Select(static (input, _) => new GeneratorSettings(
                input.Left.GlobalOptions.TryGetValue("build_property.RootNamespace", out var ns) && !string.IsNullOrWhiteSpace(ns) ? ns : input.Right))
            .WithTrackingName(TrackingNames.Settings);

        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(KnownTypeNames.JobAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax,
                static (ctx, ct) => JobParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.ParseJobs);

        context.RegisterSourceOutput(parsed.Select(static (r, _) => r.Diagnostics), static (spc, diagnostics) =>
        {
            foreach (var diagnostic in diagnostics)
            {
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        var identities = parsed.Where(static r => r.Identity is not null).Select(static (r, _) => r.Identity!).Collect();
        context.RegisterSourceOutput(identities, static (spc, all) =>
        {
            foreach (var diagnostic in Duplicates.Find(all))
            {
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        // Collect, drop every job whose name clashes, and split again: items that did not change stay cached, so one
        // handler's edit regenerates one file.
        var specs = parsed
            .Where(static r => r.Spec is not null)
            .Select(static (r, _) => r.Spec!)
            .Collect()
            .SelectMany(static (all, _) => Duplicates.Remove(all))
            .WithTrackingName(TrackingNames.Specs);

        context.RegisterSourceOutput(specs.Combine(settings), JobEmitter.Emit);

        var registry = specs.Collect().Select(JobRegistration.From).WithTrackingName(TrackingNames.Registry);
        context.RegisterSourceOutput(registry.Combine(settings), RegistryEmitter.Emit);
    }
}

/// <summary>Job names must be unique ignoring case, and must not map to the same method name.</summary>
internal static class Duplicates
{
    public static IEnumerable<DiagnosticInfo> Find(ImmutableArray<JobIdentity> jobs)
    {
        foreach (var job in jobs)
        {
            var clash = jobs.FirstOrDefault(other => !ReferenceEquals(other, job) && Clashes(job.Name, job.PascalName, other.Name, other.PascalName));
            if (clash is not null)
            {
                yield return new DiagnosticInfo(Descriptors.DuplicateJobNameId, job.Location, new EquatableArray<string>(new[] { job.Name, clash.Name }));
            }
        }
    }

    public static ImmutableArray<JobSpec> Remove(ImmutableArray<JobSpec> jobs)
        => jobs.Where(job => !jobs.Any(other => !ReferenceEquals(other, job) && Clashes(job.Name, job.PascalName, other.Name, other.PascalName)))
            .OrderBy(static j => j.Name, StringComparer.Ordinal)
            .ToImmutableArray();

    private static bool Clashes(string name, string pascal, string otherName, string otherPascal)
        => string.Equals(name, otherName, StringComparison.OrdinalIgnoreCase) || string.Equals(pascal, otherPascal, StringComparison.Ordinal);
}
