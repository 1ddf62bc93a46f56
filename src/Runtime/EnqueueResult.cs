namespace Queues;

/// <summary>The outcome of one enqueue.</summary>
/// <param name="Id">
/// The inserted job's id; for a duplicate, the id of the job already holding the unique key (which may still be
/// uncommitted work of the same transaction).
/// </param>
/// <param name="IsDuplicate">
/// True when nothing was inserted because a job with the same unique key is in a state that counts (see
/// <see cref="UniqueStates"/>).
/// </param>
public readonly record struct EnqueueResult(JobId Id, bool IsDuplicate);
