using Microsoft.CodeAnalysis;

namespace Queues.Analyzers;

/// <summary>All diagnostics reported by Queues.Analyzers. Code fixers refer to rules through the <c>…Id</c> constants.</summary>
public static class DiagnosticDescriptors
{
    public const string EnqueueOutsideTransactionId = "QUE0101";
    public const string DualWriteId = "QUE0102";
    public const string EnqueueOnFinishedTransactionId = "QUE0103";
    public const string EnqueueNotAwaitedId = "QUE0104";
    public const string EnqueueOnOtherConnectionId = "QUE0105";
    public const string ConcurrentEnqueueId = "QUE0106";

    private const string UsageCategory = "Queues.Usage";
    private const string HelpLinkBase = "https://github.com/queues-dotnet/queues/blob/main/docs/diagnostics/";

    public static readonly DiagnosticDescriptor EnqueueOutsideTransaction = new(
        id: EnqueueOutsideTransactionId,
        title: "Job enqueued outside the transaction in scope",
        messageFormat: "'{0}' does not enqueue inside {1}, the transaction in scope; pass it so the job commits or rolls back with the data",
        category: UsageCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "The method writes inside one transaction but enqueues without it (a non-transactional overload, or a transaction "
            + "begun just for the enqueue), so the job and the data commit separately: the dual write Queues exists to remove.",
        helpLinkUri: HelpLinkBase + EnqueueOutsideTransactionId + ".md");

    public static readonly DiagnosticDescriptor DualWrite = new(
        id: DualWriteId,
        title: "Job enqueued beside a write outside its transaction",
        messageFormat: "'{0}' is not atomic with '{1}', which writes outside the enqueue's transaction; run both in one transaction and enqueue inside it",
        category: UsageCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "The method writes to the database without a transaction, or enqueues with a fire-and-forget overload (no "
            + "transaction) beside any write. The enqueue's transaction cannot include that write, so one can commit while the other is lost.",
        helpLinkUri: HelpLinkBase + DualWriteId + ".md");

    public static readonly DiagnosticDescriptor EnqueueOnFinishedTransaction = new(
        id: EnqueueOnFinishedTransactionId,
        title: "Job enqueued on a finished transaction",
        messageFormat: "'{0}' enqueues on '{1}' after it was committed, rolled back or disposed; enqueue before the transaction ends",
        category: UsageCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "On every path to the call the transaction has already been committed, rolled back or disposed, so the insert "
            + "throws at run time and, if caught, the job is lost.",
        helpLinkUri: HelpLinkBase + EnqueueOnFinishedTransactionId + ".md");

    public static readonly DiagnosticDescriptor EnqueueNotAwaited = new(
        id: EnqueueNotAwaitedId,
        title: "Enqueue result not awaited",
        messageFormat: "The task of '{0}'{1} is not awaited; the insert may still be running when the transaction or the request ends, and its failure goes unseen. Await it.",
        category: UsageCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "An enqueue inserts the job on the caller's NpgsqlTransaction. If the returned task is dropped, the insert can still be running "
            + "when the transaction commits, rolls back or is disposed, so the job may fail to insert or land outside the transaction.",
        helpLinkUri: HelpLinkBase + EnqueueNotAwaitedId + ".md");

    public static readonly DiagnosticDescriptor EnqueueOnOtherConnection = new(
        id: EnqueueOnOtherConnectionId,
        title: "Enqueue transaction belongs to another connection",
        messageFormat: "'{0}' enqueues on a transaction of connection '{1}', but '{2}' writes through connection '{3}'; the job does not commit with that write",
        category: UsageCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A transaction belongs to one connection. Writes through another connection are not part of it, so the job and "
            + "those writes commit separately.",
        helpLinkUri: HelpLinkBase + EnqueueOnOtherConnectionId + ".md");

    public static readonly DiagnosticDescriptor ConcurrentEnqueue = new(
        id: ConcurrentEnqueueId,
        title: "Enqueue runs beside another command on the same transaction",
        messageFormat: "'{0}' runs while {1} may still be running on the same transaction; a connection runs one command at a time, so await each before starting the next",
        category: UsageCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A transaction lives on one connection, and Npgsql runs one command at a time per connection. Enqueues started "
            + "together (Task.WhenAll, a Select of enqueues, Parallel.ForEachAsync) or while another command on the transaction is "
            + "still running fail at run time with \"A command is already in progress\"; use the Many overload or await them one by one.",
        helpLinkUri: HelpLinkBase + ConcurrentEnqueueId + ".md");
}
