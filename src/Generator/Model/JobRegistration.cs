using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;

namespace Queues.Generator.Model;

/// <summary>
/// What the <c>Jobs</c> class and the dispatch table need of a job: its name, generated class name and whether this
/// project handles it (false for a job of a referenced assembly). Equal when every member is equal.
/// </summary>
internal sealed record JobRegistration(string Name, string PascalName, bool HasHandler)
{
    public static EquatableArray<JobRegistration> From(
        ImmutableArray<JobSpec> jobs,
        ImmutableArray<ReferencedJobSpec> referenced,
        CancellationToken _)
        => jobs.Select(static j => new JobRegistration(j.Name, j.PascalName, HasHandler: true))
            .Concat(referenced.Select(static j => new JobRegistration(j.Name, j.PascalName, HasHandler: false)))
            .OrderBy(static j => j.Name, StringComparer.Ordinal)
            .ToEquatableArray();
}
