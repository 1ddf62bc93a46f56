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
    public const string InaccessibleHandlerId = "QUE0005";
    public const string AsyncVoidHandlerId = "QUE0006";
    public const string JobsClassClashId = "QUE0007";

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
        description: "A [Job] method must be a non-generic method of a non-generic type, take at most a payload, a JobContext and a CancellationToken, and return Task, ValueTask or void; an instance handler's type needs one public or internal constructor.",
        helpLinkUri: HelpBase + InvalidHandlerId + ".md");

    /// <summary>"Job name '{0}' clashes with '{1}': …".</summary>
    public static readonly DiagnosticDescriptor DuplicateJobName = new(
        DuplicateJobNameId,
        "Duplicate job name",
        "Job name '{0}' clashes with '{1}': job names must be unique ignoring case and must not produce the same Enqueue method name; rename one of them",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The job name is the durable identity stored in every row; two handlers cannot share one.",
        helpLinkUri: HelpBase + DuplicateJobNameId + ".md");

    /// <summary>"Payload type '{0}' cannot be serialized: {1}".</summary>
    public static readonly DiagnosticDescriptor UnsupportedPayload = new(
        UnsupportedPayloadId,
        "Unsupported payload type",
        "Payload type '{0}' cannot be serialized: {1}; use supported types, or declare a partial JsonSerializerContext with [JsonSerializable(typeof({0}))] and the generator uses it",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator writes payload serializers itself and supports records and classes of primitives, strings, dates, enums, collections and nested payload types. For anything else (polymorphism, custom converters, cycles), a JsonSerializerContext you own that lists the payload type is used instead.",
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

    /// <summary>"Handler '{0}' is not accessible to generated code: {1}; make the method and its containing types public or internal".</summary>
    public static readonly DiagnosticDescriptor InaccessibleHandler = new(
        InaccessibleHandlerId,
        "Job handler is not accessible",
        "Handler '{0}' is not accessible to generated code: {1}; make the method and its containing types public or internal",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The dispatch table is generated into its own file of the project, so it can call only public or internal handlers in public or internal, non-file-local types.",
        helpLinkUri: HelpBase + InaccessibleHandlerId + ".md");

    /// <summary>"Handler '{0}' is 'async void'; return Task so the worker can await it and record its failures".</summary>
    public static readonly DiagnosticDescriptor AsyncVoidHandler = new(
        AsyncVoidHandlerId,
        "Job handler is async void",
        "Handler '{0}' is 'async void'; return Task so the worker can await it and record its failures",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The worker cannot await an async void method: the job would complete before the work is done, and an exception would crash the process instead of being recorded on the job.",
        helpLinkUri: HelpBase + AsyncVoidHandlerId + ".md");

    /// <summary>"The generated class '{0}' cannot be declared: {1}; …".</summary>
    public static readonly DiagnosticDescriptor JobsClassClash = new(
        JobsClassClashId,
        "Generated Jobs class cannot be declared",
        "The generated class '{0}' cannot be declared: {1}; name it with the MSBuild property QueuesJobsClassName or QueuesJobsNamespace",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The enqueue methods are generated into one class, by default Jobs in the project's root namespace. A namespace of that name (a Jobs folder) or another type of that name would make the generated code fail to compile, so nothing is generated until the class is given a free name.",
        helpLinkUri: HelpBase + JobsClassClashId + ".md");

    internal static DiagnosticDescriptor ById(string id) => id switch
    {
        InvalidHandlerId => InvalidHandler,
        DuplicateJobNameId => DuplicateJobName,
        UnsupportedPayloadId => UnsupportedPayload,
        InvalidJobOptionId => InvalidJobOption,
        InaccessibleHandlerId => InaccessibleHandler,
        AsyncVoidHandlerId => AsyncVoidHandler,
        JobsClassClashId => JobsClassClash,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown diagnostic id."),
    };
}
