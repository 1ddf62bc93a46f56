using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Queues.Generator.Model;

namespace Queues.Generator.Parsing;

/// <summary>Turns one <c>[Job]</c> method into a <see cref="JobSpec"/>, or into the diagnostics that say why it cannot be one.</summary>
internal static class JobParser
{
    private const int MaxAttemptsLimit = short.MaxValue;

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var method = (IMethodSymbol)context.TargetSymbol;
        var attribute = context.Attributes[0];
        var diagnostics = new List<DiagnosticInfo>();
        var location = method.Locations.FirstOrDefault();
        var display = method.ContainingType.Name + "." + method.Name;

        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not string name)
        {
            return Fail(diagnostics, Descriptors.InvalidJobOption, location, display, "name", "the job name must be a constant string");
        }

        var pascal = JobNames.ToPascalCase(name);
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200 || pascal is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, location, name, "name",
                "a job name must be 1 to 200 characters and contain letters or digits that start with a letter (it becomes the method name Enqueue<Name>Async)"));
        }

        var queue = "default";
        short priority = 0;
        var maxAttempts = 20;
        foreach (var argument in attribute.NamedArguments)
        {
            switch (argument.Key)
            {
                case "Queue":
                    queue = argument.Value.Value as string ?? "";
                    if (string.IsNullOrWhiteSpace(queue) || queue.Length > 128)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, location, name, "Queue", "a queue name must be 1 to 128 characters and not blank"));
                    }

                    break;
                case "Priority":
                    priority = argument.Value.Value is short p ? p : (short)0;
                    break;
                case "MaxAttempts":
                    maxAttempts = argument.Value.Value is int m ? m : 0;
                    if (maxAttempts is < 1 or > MaxAttemptsLimit)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidJobOption, location, name, "MaxAttempts", $"it must be between 1 and {MaxAttemptsLimit}"));
                    }

                    break;
            }
        }

        CheckHandler(method, display, location, diagnostics);
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
                    $"parameter '{parameter.Name}' is a second payload; a handler takes at most one payload, a JobContext and a CancellationToken"));
            }
        }

        var returns = method.ReturnsVoid ? HandlerReturn.Void
            : method.ReturnType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) switch
            {
                "global::" + KnownTypeNames.Task => HandlerReturn.Task,
                "global::" + KnownTypeNames.ValueTask => HandlerReturn.ValueTask,
                _ => (HandlerReturn?)null,
            };
        if (returns is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, location, display,
                $"it returns '{method.ReturnType.ToDisplayString()}'; a handler returns Task, ValueTask or void"));
        }
        else if (returns == HandlerReturn.Void && method.IsAsync)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, location, display,
                "it is 'async void', so the worker cannot await it or see its exceptions; return Task instead"));
        }

        var constructorParameters = new List<string>();
        var dispose = DisposeKind.None;
        if (!method.IsStatic)
        {
            dispose = GetDisposeKind(method.ContainingType);
            var constructor = method.ContainingType.InstanceConstructors
                .Where(static c => c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal)
                .OrderByDescending(static c => c.Parameters.Length)
                .FirstOrDefault();
            if (constructor is null || method.ContainingType.IsAbstract)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, location, display,
                    $"its type '{method.ContainingType.Name}' has no public or internal constructor to create it per job (or make the method static)"));
            }
            else
            {
                constructorParameters.AddRange(constructor.Parameters.Select(static p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
            }
        }

        PayloadSpec? payload = null;
        var payloadPublic = true;
        if (payloadType is not null)
        {
            payload = PayloadParser.Parse(payloadType, location, diagnostics, cancellationToken);
            payloadPublic = IsPublic(payloadType);
        }

        var identity = pascal is null ? null : new JobIdentity(name, pascal, LocationInfo.From(location));
        // No payload spec yet no diagnostic of ours: a type in the payload does not resolve, and the compiler reports that.
        if (diagnostics.Count > 0 || returns is null || pascal is null || (payloadType is not null && payload is null))
        {
            return new ParseResult(null, identity, diagnostics.ToEquatableArray());
        }

        var spec = new JobSpec(
            name,
            pascal,
            queue,
            priority,
            maxAttempts,
            method.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            method.Name,
            method.IsStatic,
            parameters.ToEquatableArray(),
            returns.Value,
            constructorParameters.ToEquatableArray(),
            dispose,
            payloadPublic,
            payload);
        return new ParseResult(spec, identity, EquatableArray<DiagnosticInfo>.Empty);
    }

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

        if (!IsAccessible(method))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InvalidHandler, location, display,
                "it is not accessible to generated code; make the method and its containing types public or internal"));
        }
    }

    private static bool IsAccessible(ISymbol symbol)
    {
        for (var current = symbol; current is not null and not INamespaceSymbol; current = current.ContainingSymbol)
        {
            if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPublic(ITypeSymbol type)
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

    private static ParseResult Fail(List<DiagnosticInfo> diagnostics, DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));
        return new ParseResult(null, null, diagnostics.ToEquatableArray());
    }
}
