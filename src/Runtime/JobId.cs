using System.Globalization;

namespace Queues;

/// <summary>The identity of a job row.</summary>
/// <param name="Value">The row's <c>id</c> column.</param>
public readonly record struct JobId(long Value) : IComparable<JobId>
{
    /// <inheritdoc />
    public int CompareTo(JobId other) => Value.CompareTo(other.Value);

    /// <summary>Orders by id.</summary>
    public static bool operator <(JobId left, JobId right) => left.Value < right.Value;

    /// <summary>Orders by id.</summary>
    public static bool operator >(JobId left, JobId right) => left.Value > right.Value;

    /// <summary>Orders by id.</summary>
    public static bool operator <=(JobId left, JobId right) => left.Value <= right.Value;

    /// <summary>Orders by id.</summary>
    public static bool operator >=(JobId left, JobId right) => left.Value >= right.Value;

    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
