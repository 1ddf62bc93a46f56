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

        // User-owned JsonSerializerContexts: a payload type one of them lists is serialized through it.
        var serializerContexts = context.SyntaxProvider
            .ForAttributeWithMetadataName(KnownTypeNames.JsonSerializableAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (ctx, ct) => SerializerContextParser.Parse(ctx, ct))
            .Where(static c => c is not null)
            .Collect()
            .Select(static (all, _) => MergeContexts(all!))
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

        var localNames = identities
            .Select(static (all, _) => all.Select(static i => i.Name).OrderBy(static n => n, StringComparer.Ordinal).ToEquatableArray());
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

    /// <summary>One spec per context (a partial class may carry [JsonSerializable] on several declarations), sorted.</summary>
    private static EquatableArray<SerializerContextSpec> MergeContexts(ImmutableArray<SerializerContextSpec> all)
        => all.GroupBy(static c => c.TypeName, StringComparer.Ordinal)
            .OrderBy(static g => g.Key, StringComparer.Ordinal)
            .Select(static g => new SerializerContextSpec(
                g.Key,
                g.First().NamingPolicy,
                g.SelectMany(static c => c.Types).Distinct().OrderBy(static t => t, StringComparer.Ordinal).ToEquatableArray()))
            .ToEquatableArray();
}

/// <summary>
/// Job names must be unique ignoring case, and must not map to the same method name: among this project's jobs, and
/// between them and the jobs of referenced assemblies.
/// </summary>
internal static class Duplicates
{
    public static IEnumerable<DiagnosticInfo> Find(ImmutableArray<JobIdentity> jobs, EquatableArray<ReferencedJobSpec> referenced)
    {
        foreach (var job in jobs)
        {
            var clash = jobs.FirstOrDefault(other => !ReferenceEquals(other, job) && Clashes(job.Name, job.PascalName, other.Name, other.PascalName));
            if (clash is not null)
            {
                yield return new DiagnosticInfo(Descriptors.DuplicateJobNameId, job.Location, new EquatableArray<string>(new[] { job.Name, clash.Name }));
                continue;
            }

            var external = referenced.FirstOrDefault(other => Clashes(job.Name, job.PascalName, other.Name, other.PascalName));
            if (external is not null)
            {
                yield return new DiagnosticInfo(Descriptors.DuplicateJobNameId, job.Location,
                    new EquatableArray<string>(new[] { job.Name, $"{external.Name}' of referenced assembly '{external.Assembly}" }));
            }
        }

        // Two referenced assemblies declaring one name: nothing here to point at, so the diagnostic has no location.
        for (var i = 0; i < referenced.Count; i++)
        {
            for (var j = i + 1; j < referenced.Count; j++)
            {
                if (Clashes(referenced[i].Name, referenced[i].PascalName, referenced[j].Name, referenced[j].PascalName))
                {
                    yield return new DiagnosticInfo(Descriptors.DuplicateJobNameId, null, new EquatableArray<string>(new[]
                    {
                        $"{referenced[i].Name}' of referenced assembly '{referenced[i].Assembly}",
                        $"{referenced[j].Name}' of referenced assembly '{referenced[j].Assembly}",
                    }));
                }
            }
        }
    }

    /// <summary>This project's jobs without those that clash with another one here or with a referenced job.</summary>
    public static ImmutableArray<JobSpec> Remove(ImmutableArray<JobSpec> jobs, EquatableArray<ReferencedJobSpec> referenced)
        => jobs.Where(job => !jobs.Any(other => !ReferenceEquals(other, job) && Clashes(job.Name, job.PascalName, other.Name, other.PascalName))
                && !referenced.Any(other => Clashes(job.Name, job.PascalName, other.Name, other.PascalName)))
            .OrderBy(static j => j.Name, StringComparer.Ordinal)
            .ToImmutableArray();

    /// <summary>The referenced jobs without those that clash with a job of this project or with another referenced one.</summary>
    public static ImmutableArray<ReferencedJobSpec> Remove(EquatableArray<ReferencedJobSpec> referenced, EquatableArray<string> localNames)
        => referenced.Where(job => !localNames.Any(name => Clashes(job.Name, job.PascalName, name, JobNames.ToPascalCase(name) ?? ""))
                && !referenced.Any(other => !ReferenceEquals(other, job) && Clashes(job.Name, job.PascalName, other.Name, other.PascalName)))
            .ToImmutableArray();

    private static bool Clashes(string name, string pascal, string otherName, string otherPascal)
        => string.Equals(name, otherName, StringComparison.OrdinalIgnoreCase) || string.Equals(pascal, otherPascal, StringComparison.Ordinal);
}
