using Microsoft.CodeAnalysis;

namespace Queues.Analyzers;

/// <summary>All diagnostics reported by Queues.Analyzers. Code fixers refer to rules through the <c>…Id</c> constants.</summary>
public static class DiagnosticDescriptors
{
    public const string EnqueueNotAwaitedId = "QUE0104";

    private const string UsageCategory = "Queues.Usage";
    private const string HelpLinkBase = "https://github.com/queues-dotnet/queues/blob/main/docs/diagnostics/";

    public static readonly DiagnosticDescriptor EnqueueNotAwaited = new(
        id: EnqueueNotAwaitedId,
        title: "Enqueue result not awaited",
        messageFormat: "The result of '{0}' is not awaited; the job may not be inserted before the transaction commits. Await the call.",
        category: UsageCategory,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "An enqueue inserts the job on the caller's NpgsqlTransaction. If the returned task is dropped, the insert can still be running "
            + "when the transaction commits, rolls back or is disposed, so the job may fail to insert or land outside the transaction.",
        helpLinkUri: HelpLinkBase + EnqueueNotAwaitedId + ".md");
}
