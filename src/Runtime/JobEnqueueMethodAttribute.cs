using System.ComponentModel;

namespace Queues;

/// <summary>
/// Marks a generated method that enqueues a job. Analyzers find enqueue calls through this marker, never by method name.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class JobEnqueueMethodAttribute : Attribute
{
    /// <summary>Marks an enqueue method for the job called <paramref name="jobName"/>.</summary>
    /// <param name="jobName">The durable job name.</param>
    public JobEnqueueMethodAttribute(string jobName) => JobName = jobName;

    /// <summary>The durable job name.</summary>
    public string JobName { get; }
}
