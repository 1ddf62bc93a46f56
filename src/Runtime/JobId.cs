using System.Globalization;

namespace Queues;

/// <summary>The identity of a job row.</summary>
/// <param name="Value">The row's <c>id</c> column.</param>
public readonly record struct JobId(long Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
