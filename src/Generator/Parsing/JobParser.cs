using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Queues.Generator.Model;

namespace Queues.Generator.Parsing;

/// <summary>
/// Turns one <c>[Job]</c> method into a <see cref="JobSpec"/> (without its payload serializer, which
/// <see cref="JobResolver"/> chooses), or into the diagnostics that say why it cannot be one.
/// </summary>
internal static class JobParser
{
    private const int MaxAttemptsLimit = short.MaxValue - 1; // The runtime's Sql.AttemptCeiling: a claim never raises attempt past it.

    /// <summary>30 days: the runtime's limit for a job timeout (a cancellation timer cannot run much past 49 days).</summary>
    private const int MaxTimeoutSeconds = 2_592_000;

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var method = (IMethodSymbol)context.TargetSymbol;
        var attribute = context.Attributes[0];
        var diagnostics = new List<DiagnosticInfo>();
        var location = method.Locations.FirstOrDefault();
        var display = method.ContainingType.Name + "." + method.Name;
        var arguments = AttributeArguments.From(attribute, location, cancellationToken);

        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not string name)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, arguments.Name, display, "name", "the job name must be a constant string"));
            return new ParseResult(null, null, diagnostics.ToEquatableArray(), null);
        }

        var pascal = JobNames.ToPascalCase(name);
        var options = ReadOptions(attribute, name, arguments, diagnostics);

        CheckHandler(method, display, location, diagnostics);
        var (parameters, payloadType) = ReadParameters(method, display, diagnostics);

        var returns = method.ReturnsVoid ? HandlerReturn.Void
            : method.ReturnType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) switch
            {
                "global::" + KnownTypeNames.Task => HandlerReturn.Task,
                "global::" + KnownTypeNames.ValueTask => HandlerReturn.ValueTask,
                _ => (HandlerReturn?)null,
            };
        if (returns is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, ReturnTypeLocation(method, cancellationToken) ?? location, display,
                $"it returns '{method.ReturnType.ToDisplayString()}'; a handler returns Task, ValueTask or void"));
        }
        else if (returns == HandlerReturn.Void && method.IsAsync)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.AsyncVoidHandler, location, display));
        }

        var constructorParameters = new List<string>();
        var dispose = DisposeKind.None;
        if (!method.IsStatic)
        {
            dispose = GetDisposeKind(method.ContainingType);
            ReadConstructor(method, display, location, constructorParameters, diagnostics);
        }

        PayloadCandidate? payload = null;
        if (payloadType is not null)
        {
            payload = ReadPayload(payloadType, options.UniqueBy, location, arguments.UniqueBy, diagnostics, cancellationToken);
        }
        else if (options.UniqueBy.Length > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, arguments.UniqueBy, name, "UniqueBy",
                "the job has no payload, so there is nothing to be unique by; remove UniqueBy or add a payload parameter"));
        }

        var identity = pascal is null ? null : new JobIdentity(name, pascal, LocationInfo.From(location));
        if (diagnostics.Count > 0 || returns is null || pascal is null)
        {
            return new ParseResult(null, identity, diagnostics.ToEquatableArray(), null);
        }

        var spec = new JobSpec(
            name,
            pascal,
            options.Queue,
            options.Priority,
            options.MaxAttempts,
            new JobOptionsSpec(options.TimeoutSeconds, options.RetryBaseDelaySeconds, EquatableArray<string>.Empty, options.Cron, options.UniqueStates),
            method.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            method.Name,
            method.IsStatic,
            parameters.ToEquatableArray(),
            returns.Value,
            constructorParameters.ToEquatableArray(),
            dispose,
            payloadType is null || IsPublic(payloadType),
            Payload: null);
        return new ParseResult(spec, identity, EquatableArray<DiagnosticInfo>.Empty, payload);
    }

    /// <summary>The attribute's options, each checked; a bad one adds a QUE0004 at its argument.</summary>
    internal static JobOptions ReadOptions(AttributeData attribute, string name, AttributeArguments arguments, List<DiagnosticInfo> diagnostics)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200 || JobNames.ToPascalCase(name) is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, arguments.Name, name, "name",
                "a job name must be 1 to 200 characters and contain letters or digits that start with a letter (it becomes the method name Enqueue<Name>Async)"));
        }

        var options = new JobOptions();
        foreach (var argument in attribute.NamedArguments)
        {
            var where = arguments.Named(argument.Key);
            switch (argument.Key)
            {
                case "Queue":
                    options.Queue = argument.Value.Value as string ?? "";
                    if (string.IsNullOrWhiteSpace(options.Queue) || options.Queue.Length > 128)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, where, name, "Queue", "a queue name must be 1 to 128 characters and not blank"));
                    }

                    break;
                case "Priority":
                    options.Priority = argument.Value.Value is short p ? p : (short)0;
                    break;
                case "MaxAttempts":
                    options.MaxAttempts = argument.Value.Value is int m ? m : 0;
                    if (options.MaxAttempts is < 1 or > MaxAttemptsLimit)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, where, name, "MaxAttempts", $"it must be between 1 and {MaxAttemptsLimit}"));
                    }

                    break;
                case "TimeoutSeconds":
                    options.TimeoutSeconds = argument.Value.Value is int t ? t : -1;
                    if (options.TimeoutSeconds is < 0 or > MaxTimeoutSeconds)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, where, name, "TimeoutSeconds",
                            "it must be a positive number of seconds up to 2592000 (30 days), or 0 for no timeout"));
                    }

                    break;
                case "RetryBaseDelaySeconds":
                    options.RetryBaseDelaySeconds = argument.Value.Value is double d ? d : -1;
                    if (double.IsNaN(options.RetryBaseDelaySeconds) || double.IsInfinity(options.RetryBaseDelaySeconds)
                        || options.RetryBaseDelaySeconds < 0 || options.RetryBaseDelaySeconds > 86400)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, where, name, "RetryBaseDelaySeconds",
                            "it must be between 0 (the worker's default delay) and 86400 seconds"));
                    }

                    break;
                case "UniqueBy":
                    var members = argument.Value.Kind == TypedConstantKind.Array && !argument.Value.IsNull
                        ? argument.Value.Values.Select(static v => v.Value as string).ToList()
                        : new List<string?>();
                    if (members.Any(static m => string.IsNullOrWhiteSpace(m)))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, where, name, "UniqueBy",
                            "it lists a null or blank member name; use nameof(Payload.Member)"));
                    }
                    else if (members.GroupBy(static m => m, StringComparer.Ordinal).FirstOrDefault(static g => g.Count() > 1) is { } repeated)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, where, name, "UniqueBy", $"it lists '{repeated.Key}' twice"));
                    }
                    else
                    {
                        options.UniqueBy = members.Select(static m => m!).ToArray();
                    }

                    break;
                case "UniqueStates":
                    options.UniqueStates = argument.Value.Value is int states ? states : -1;
                    if ((options.UniqueStates & ~7) != 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, where, name, "UniqueStates",
                            "it must combine UniqueStates.Completed, Cancelled and Discarded, or be UniqueStates.Unfinished"));
                        options.UniqueStates = 0;
                    }

                    break;
                case "Cron":
                    var cron = argument.Value.Value as string;
                    if (cron is not null && CronSyntax.Validate(cron) is { } problem)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, where, name, "Cron", problem));
                    }
                    else
                    {
                        options.Cron = cron is null ? null : string.Join(" ", cron.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries));
                    }

                    break;
            }
        }

        return options;
    }

    private static (List<HandlerParameter> Parameters, ITypeSymbol? PayloadType) ReadParameters(IMethodSymbol method, string display, List<DiagnosticInfo> diagnostics)
    {
        var parameters = new List<HandlerParameter>();
        ITypeSymbol? payloadType = null;
        foreach (var parameter in method.Parameters)
        {
            var fullName = parameter.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            if (parameter.RefKind is RefKind.Ref or RefKind.Out)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, parameter.Locations.FirstOrDefault(), display, $"parameter '{parameter.Name}' must not be ref or out"));
            }

            if (fullName == "global::" + KnownTypeNames.JobContext)
            {
                parameters.Add(HandlerParameter.Context);
            }
            else if (fullName == "global::" + KnownTypeNames.CancellationToken)
            {
                parameters.Add(HandlerParameter.CancellationToken);
            }
            else if (payloadType is null)
            {
                payloadType = parameter.Type;
                parameters.Add(HandlerParameter.Payload);
            }
            else
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, parameter.Locations.FirstOrDefault(), display,
                    $"parameter '{parameter.Name}' is a second payload; a handler takes at most one payload, a JobContext and a CancellationToken (services come from the constructor)"));
            }
        }

        return (parameters, payloadType);
    }

    private static void ReadConstructor(IMethodSymbol method, string display, Location? location, List<string> constructorParameters, List<DiagnosticInfo> diagnostics)
    {
        var type = method.ContainingType;
        var candidates = type.InstanceConstructors
            .Where(static c => c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal)
            .OrderByDescending(static c => c.Parameters.Length)
            .ToList();
        if (candidates.Count == 0 || type.IsAbstract)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, location, display,
                $"its type '{type.Name}' has no public or internal constructor to create it per job (or make the method static)"));
            return;
        }

        var constructor = candidates[0];
        if (candidates.Count > 1 && candidates[1].Parameters.Length == constructor.Parameters.Length)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, location, display,
                $"its type '{type.Name}' has several constructors with {constructor.Parameters.Length} parameter(s), so which one creates it is ambiguous; keep one (or make the method static)"));
            return;
        }

        var setsRequired = constructor.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == "System.Diagnostics.CodeAnalysis.SetsRequiredMembersAttribute");
        if (!setsRequired && RequiredMember(type) is { } required)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, location, display,
                $"its type '{type.Name}' has the required member '{required}', which the generated constructor call cannot set; inject it through the constructor instead"));
            return;
        }

        foreach (var parameter in constructor.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, location, display,
                    $"constructor parameter '{parameter.Name}' of '{type.Name}' is ref, out or in; services are passed by value"));
                return;
            }

            constructorParameters.Add(parameter.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
        }
    }

    private static string? RequiredMember(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true })
                {
                    return member.Name;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Both serializer choices for the payload: the generated one (or why there is none) and the type's name, so that
    /// <see cref="JobResolver"/> can switch to a user-owned JsonSerializerContext that lists the type.
    /// </summary>
    private static PayloadCandidate? ReadPayload(ITypeSymbol payloadType, string[] uniqueBy, Location? location, Location? uniqueByLocation,
        List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var unique = new List<UniqueByMember>();
        // An unresolved payload type: the compiler reports it, and PayloadParser yields no spec and no error of ours.
        foreach (var member in payloadType.TypeKind == TypeKind.Error ? Array.Empty<string>() : uniqueBy)
        {
            var property = FindProperty(payloadType, member);
            if (property is null)
            {
                var available = string.Join(", ", Properties(payloadType).Select(static p => p.Name).Take(10));
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, uniqueByLocation ?? location, payloadType.Name, "UniqueBy",
                    $"'{member}' is not a public property of the payload '{payloadType.ToDisplayString()}'" +
                    (available.Length == 0 ? "" : $" (it has: {available})")));
                continue;
            }

            var explicitName = property.GetAttributes()
                .Where(static a => a.AttributeClass?.ToDisplayString() == KnownTypeNames.JsonPropertyNameAttribute)
                .Select(static a => a.ConstructorArguments.FirstOrDefault().Value as string)
                .FirstOrDefault();
            unique.Add(new UniqueByMember(property.Name, explicitName));
        }

        var serializationErrors = new List<DiagnosticInfo>();
        var generated = PayloadParser.Parse(payloadType, location, serializationErrors, cancellationToken);
        var bare = payloadType.IsReferenceType ? payloadType.WithNullableAnnotation(NullableAnnotation.NotAnnotated) : payloadType;
        var typeName = bare.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var declared = bare.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier));
        return new PayloadCandidate(typeName, declared, payloadType.IsValueType, generated, serializationErrors.ToEquatableArray(),
            unique.ToEquatableArray(), LocationInfo.From(uniqueByLocation ?? location));
    }

    private static IEnumerable<IPropertySymbol> Properties(ITypeSymbol type)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            foreach (var property in current.GetMembers().OfType<IPropertySymbol>())
            {
                if (!property.IsStatic && !property.IsIndexer && property.DeclaredAccessibility == Accessibility.Public
                    && property.GetMethod is { DeclaredAccessibility: Accessibility.Public } && !property.IsImplicitlyDeclared
                    && !(property.Name == "EqualityContract" && type.IsRecord)
                    && !property.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == KnownTypeNames.JsonIgnoreAttribute)
                    && seen.Add(property.Name))
                {
                    yield return property;
                }
            }
        }
    }

    private static IPropertySymbol? FindProperty(ITypeSymbol type, string name)
        => type.TypeKind is TypeKind.Class or TypeKind.Struct && type.SpecialType == SpecialType.None
            ? Properties(type).FirstOrDefault(p => p.Name == name)
            : null;

    private static void CheckHandler(IMethodSymbol method, string display, Location? location, List<DiagnosticInfo> diagnostics)
    {
        if (method.IsGenericMethod)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, location, display, "it is generic; a job handler has one concrete payload type"));
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsGenericType)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, location, display, $"its containing type '{type.Name}' is generic"));
                break;
            }
        }

        if (method.MethodKind != MethodKind.Ordinary)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, location, display, "it is not an ordinary method (a local function, accessor or operator)"));
        }

        if (Inaccessible(method) is { } reason)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InaccessibleHandler, location, display, reason));
        }
    }

    /// <summary>Why generated code in another file of the project cannot call <paramref name="method"/>; null when it can.</summary>
    private static string? Inaccessible(IMethodSymbol method)
    {
        if (method.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
        {
            return $"the method is {Describe(method.DeclaredAccessibility)}";
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsFileLocal)
            {
                return $"its type '{type.Name}' is file-local ('file' types are visible only in their own file)";
            }

            if (type.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
            {
                return $"its type '{type.Name}' is {Describe(type.DeclaredAccessibility)}";
            }
        }

        return null;
    }

    private static string Describe(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Private => "private",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => accessibility.ToString().ToLowerInvariant(),
    };

    private static Location? ReturnTypeLocation(IMethodSymbol method, CancellationToken cancellationToken)
        => method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is MethodDeclarationSyntax syntax
            ? syntax.ReturnType.GetLocation()
            : null;

    internal static bool IsPublic(ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                return IsPublic(array.ElementType);
            case INamedTypeSymbol named:
                for (ISymbol? current = named; current is INamedTypeSymbol t; current = current.ContainingSymbol)
                {
                    if (t.DeclaredAccessibility != Accessibility.Public)
                    {
                        return false;
                    }
                }

                return named.TypeArguments.All(IsPublic);
            default:
                return true;
        }
    }

    private static DisposeKind GetDisposeKind(INamedTypeSymbol type)
    {
        if (type.AllInterfaces.Any(static i => i.ToDisplayString() == KnownTypeNames.IAsyncDisposable))
        {
            return DisposeKind.Async;
        }

        return type.AllInterfaces.Any(static i => i.SpecialType == SpecialType.System_IDisposable) ? DisposeKind.Sync : DisposeKind.None;
    }
}

/// <summary>The options of one <c>[Job]</c>, with the defaults of <c>JobAttribute</c>.</summary>
internal sealed class JobOptions
{
    public string Queue { get; set; } = "default";

    public short Priority { get; set; }

    public int MaxAttempts { get; set; } = 20;

    public int TimeoutSeconds { get; set; }

    public double RetryBaseDelaySeconds { get; set; }

    public string[] UniqueBy { get; set; } = Array.Empty<string>();

    public int UniqueStates { get; set; }

    public string? Cron { get; set; }
}

/// <summary>Where each argument of a <c>[Job]</c> attribute is written, so a bad option is reported on itself.</summary>
internal sealed class AttributeArguments
{
    private readonly Dictionary<string, Location> _named = new(StringComparer.Ordinal);
    private readonly Location? _fallback;

    private AttributeArguments(Location? fallback) => _fallback = fallback;

    /// <summary>The job name argument (or the method, when the attribute has no syntax).</summary>
    public Location? Name { get; private set; }

    public Location? UniqueBy => Named("UniqueBy");

    public Location? Named(string name) => _named.TryGetValue(name, out var location) ? location : _fallback;

    public static AttributeArguments From(AttributeData attribute, Location? fallback, CancellationToken cancellationToken)
    {
        var result = new AttributeArguments(fallback) { Name = fallback };
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax { ArgumentList: { } list })
        {
            foreach (var argument in list.Arguments)
            {
                if (argument.NameEquals is { } nameEquals)
                {
                    result._named[nameEquals.Name.Identifier.ValueText] = argument.GetLocation();
                }
                else if (argument.NameColon is null && result.Name == fallback)
                {
                    result.Name = argument.GetLocation();
                }
            }
        }

        return result;
    }
}
