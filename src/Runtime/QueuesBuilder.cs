using Microsoft.Extensions.DependencyInjection;
using Queues.Internal;

namespace Queues;

/// <summary>Adds job handlers to the Queues worker. Returned by <c>services.AddQueues(...)</c>; the generated <c>AddJobs()</c> extends it.</summary>
public sealed class QueuesBuilder
{
    private readonly JobRegistry _registry;

    internal QueuesBuilder(IServiceCollection services, JobRegistry registry)
    {
        Services = services;
        _registry = registry;
    }

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Registers the handler of one job. The generated <c>AddJobs()</c> calls this once per <see cref="JobAttribute"/>.</summary>
    /// <param name="job">The job's name and defaults.</param>
    /// <param name="handler">Deserializes the payload and runs the handler.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">A handler for a job of that name is already registered.</exception>
    public QueuesBuilder AddJob(JobDefinition job, JobHandler handler)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(handler);
        _registry.Add(job, handler);
        return this;
    }
}
