using System;
using Microsoft.CodeAnalysis;

namespace Queues.Generator;

/// <summary>The declaration diagnostics (QUE0001–QUE0099) the generator reports for jobs it cannot generate.</summary>
public static class Descriptors
{
    public const string InvalidHandlerId = "QUE0001";
    public const string DuplicateJobNameId = "QUE0002";
    public const string UnsupportedPayloadId = "QUE0003";
    public const string InvalidJobOptionId = "QUE0004";

    private const string Category = "Queues.Declaration";
    private const string HelpBase = "https://github.com/queues-dotnet/queues/blob/main/docs/diagnostics/";

    /// <summary>"Handler '{0}' cannot be a job: {1}".</summary>
    public static readonly DiagnosticDescriptor InvalidHandler = new(
        InvalidHandlerId,
        "Invalid job handler",
        "Handler '{0}' cannot be a job: {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A [Job] method must be a non-generic, accessible (public or internal) method of a non-generic type, take at most a payload, a JobContext and a CancellationToken, and return Task, ValueTask or void.",
        helpLinkUri: HelpBase + InvalidHandlerId + ".md");

    /// <summary>"Job name '{0}' is used by more than one handler ({1}); job names are unique, ignoring case and punctuation".</summary>
    public static readonly DiagnosticDescriptor DuplicateJobName = new(
        DuplicateJobNameId,
        "Duplicate job name",
        "Job name '{0}' clashes with '{1}': job names must be unique ignoring case, and must not produce the same Enqueue method name",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The job name is the durable identity stored in every row; two handlers cannot share one.",
        helpLinkUri: HelpBase + DuplicateJobNameId + ".md");

    /// <summary>"Payload type '{0}' cannot be serialized: {1}".</summary>
    public static readonly DiagnosticDescriptor UnsupportedPayload = new(
        UnsupportedPayloadId,
        "Unsupported payload type",
        "Payload type '{0}' cannot be serialized: {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator writes payload serializers itself and supports records and classes of primitives, strings, dates, enums, collections and nested payload types.",
        helpLinkUri: HelpBase + UnsupportedPayloadId + ".md");

    /// <summary>"Job '{0}' has an invalid {1}: {2}".</summary>
    public static readonly DiagnosticDescriptor InvalidJobOption = new(
        InvalidJobOptionId,
        "Invalid job name or option",
        "Job '{0}' has an invalid {1}: {2}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Job names and [Job] options are compile-time constants and are checked at compile time.",
        helpLinkUri: HelpBase + InvalidJobOptionId + ".md");

    internal static DiagnosticDescriptor ById(string id) => id switch
    {
        InvalidHandlerId => InvalidHandler,
        DuplicateJobNameId => DuplicateJobName,
        UnsupportedPayloadId => UnsupportedPayload,
        InvalidJobOptionId => InvalidJobOption,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown diagnostic id."),
    };
}
