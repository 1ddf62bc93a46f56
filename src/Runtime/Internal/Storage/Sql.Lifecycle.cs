namespace Queues.Internal;

/// <summary>
/// The two seams of the job lifecycle, where the relations between jobs attach (docs/architecture.md):
/// <list type="bullet">
/// <item><description><b>The claim rule</b> (<see cref="Claimable"/>): which rows a claim may take. Every claim — the fetch
/// loop's batch, the one-row claim that isolates a row at fault, Queues.Testing's runner — and the poll that finds queues
/// with work apply it and nothing else, so a relation that holds a job back (a sequence, a limit) is one more condition
/// here.</description></item>
/// <item><description><b>The finish path</b> (<see cref="Finish"/>): every statement that can move a job to a final state
/// (completed, cancelled, discarded) is built by it — a test holds that no other statement sets a job's state to one —
/// and its rows pass through one CTE, <c>finished</c>, where what follows a job's end (a continuation released, a batch
/// counted, an output kept) attaches.</description></item>
/// </list>
/// </summary>
internal sealed partial class Sql
{
    /// <summary>The first words of every statement <see cref="Finish"/> builds: how a test tells them apart.</summary>
    public const string FinishMarker = "/* finish */";

    /// <summary>The answer of a finish whose caller wants how many rows it finished (or failed into retryable).</summary>
    private const string CountFinished = "SELECT count(*)::int FROM finished";

    /// <summary>The order claims take rows in: priority, then run-at, then id (the claim index's order).</summary>
    private const string ClaimOrder = "priority, run_at, id";

    /// <summary>What a claim returns of each row it took (read by <c>JobStore.ReadClaimed</c>).</summary>
    private const string ClaimedColumns =
        "j.id, j.name, j.queue, j.payload, j.attempt, j.max_attempts, j.created_at, j.run_at, j.attempted_at, j.trace_context, j.priority";

    /// <summary>
    /// <c>state = 'running'</c> for a lookup by id that must go through the primary key, not the running-rows index
    /// (see the guard in the constructor): the planner cannot match <c>IS TRUE</c> to that index's predicate.
    /// </summary>
    private const string IsRunning = "(state = 'running') IS TRUE";

    /// <summary>The unfinished states as a SQL list: <c>('scheduled', 'available', 'running', 'retryable')</c>.</summary>
    private static readonly string s_unfinished = JobStates.SqlList(JobStates.Unfinished);

    /// <summary>The final states as a SQL list: <c>('completed', 'cancelled', 'discarded')</c>.</summary>
    private static readonly string s_finished = JobStates.SqlList(JobStates.Finished);

    /// <summary>
    /// The claim rule, on the jobs row aliased <paramref name="job"/> whose queue is <paramref name="queue"/> (a
    /// parameter where the statement claims from one queue, so the pause check is evaluated once, not per row): it is
    /// available, due, and its queue is not paused.
    /// </summary>
    private string Claimable(string job, string queue) => $"""
        {job}.state = 'available' AND {job}.run_at <= now()
              AND NOT EXISTS (SELECT 1 FROM "{Schema}".paused_queues AS p WHERE p.queue = {queue})
        """;

    /// <summary>
    /// A statement that may finish jobs. <paramref name="update"/> is an UPDATE of the jobs table aliased <c>j</c> that
    /// returns <c>j.id</c> and <c>j.state</c> (the new state) first; it runs as the CTE <c>finished</c>, after the CTEs in
    /// <paramref name="with"/> (each "<c>name AS (…),</c>", or empty), and <paramref name="result"/> is the statement's
    /// answer, read from <c>finished</c> (or from the CTEs). Rows that leave in a state that is not final (a failure that
    /// will be retried) pass through too: what attaches here looks at <c>finished.state</c>.
    /// </summary>
    private static string Finish(string with, string update, string result) => $"""
        {FinishMarker}
        WITH {with}finished AS (
            {update})
        {result}
        """;
}
