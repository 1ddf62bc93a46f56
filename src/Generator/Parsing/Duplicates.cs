using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Queues.Generator.Model;

namespace Queues.Generator.Parsing;

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

    /// <summary>The names of this project's jobs, sorted: what a referenced job must not clash with.</summary>
    public static EquatableArray<string> Names(ImmutableArray<JobIdentity> jobs)
        => jobs.Select(static i => i.Name).OrderBy(static n => n, StringComparer.Ordinal).ToEquatableArray();

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
