using System.Diagnostics.CodeAnalysis;

namespace Queues.Internal;

/// <summary>The dispatch table: job name to definition and handler, filled by the generated <c>AddJobs()</c>.</summary>
internal sealed class JobRegistry
{
    private readonly Dictionary<string, Registration> _jobs = new(StringComparer.Ordinal);

    public IReadOnlyCollection<Registration> Jobs => _jobs.Values;

    public void Add(JobDefinition job, JobHandler handler)
    {
        if (!_jobs.TryAdd(job.Name, new Registration(job, handler)))
        {
            throw new ArgumentException($"A handler for job '{job.Name}' is already registered; each job name has one handler.", nameof(job));
        }
    }

    public bool TryGet(string name, [NotNullWhen(true)] out Registration? registration) => _jobs.TryGetValue(name, out registration);

    internal sealed record Registration(JobDefinition Job, JobHandler Handler);
}
