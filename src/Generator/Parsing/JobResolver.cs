using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Queues.Generator.Model;

namespace Queues.Generator.Parsing;

/// <summary>
/// Chooses each payload's serializer: a user-owned JsonSerializerContext that lists the payload type wins (the escape
/// hatch for shapes the generated serializer does not support); otherwise the generated serializer, or its errors.
/// Also maps <c>UniqueBy</c> member names to the JSON names that serializer writes.
/// </summary>
internal static class JobResolver
{
    private const int NamingPolicyNone = 0;
    private const int NamingPolicyCamelCase = 1;

    public static ResolvedJob Resolve((ParseResult Parsed, EquatableArray<SerializerContextSpec> Contexts) input, CancellationToken cancellationToken)
    {
        var (parsed, contexts) = input;
        if (parsed.Spec is null || parsed.Payload is not { } candidate)
        {
            return new ResolvedJob(parsed.Spec, parsed.Identity, parsed.Diagnostics);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var context = contexts.FirstOrDefault(c => c.Types.Contains(candidate.TypeName));
        PayloadSpec payload;
        List<string> uniqueBy;
        if (context is not null)
        {
            payload = new PayloadSpec(new ValueRef("", candidate.Declared, false), candidate.TypeName, candidate.IsValueType,
                EquatableArray<TypeSpec>.Empty, context.TypeName);
            uniqueBy = new List<string>();
            foreach (var member in candidate.UniqueBy)
            {
                var jsonName = member.ExplicitJsonName ?? context.NamingPolicy switch
                {
                    NamingPolicyNone => member.PropertyName,
                    NamingPolicyCamelCase => PayloadParser.CamelCase(member.PropertyName),
                    _ => null,
                };
                if (jsonName is null)
                {
                    return new ResolvedJob(null, parsed.Identity, new EquatableArray<DiagnosticInfo>(new[]
                    {
                        new DiagnosticInfo(Descriptors.InvalidJobOptionId, candidate.UniqueByLocation, new EquatableArray<string>(new[]
                        {
                            parsed.Spec.Name, "UniqueBy",
                            $"the JSON name of '{member.PropertyName}' under the naming policy of '{context.TypeName.Replace("global::", "")}' is not known at compile time; give the property a [JsonPropertyName]",
                        })),
                    }));
                }

                uniqueBy.Add(jsonName);
            }
        }
        else if (candidate.Generated is not null)
        {
            payload = candidate.Generated;
            uniqueBy = candidate.UniqueBy.Select(static m => m.ExplicitJsonName ?? PayloadParser.CamelCase(m.PropertyName)).ToList();
        }
        else
        {
            // Errors from the generated serializer; none when a type in the payload did not resolve (the compiler says so).
            return new ResolvedJob(null, parsed.Identity, candidate.GeneratedErrors);
        }

        var spec = parsed.Spec with
        {
            Payload = payload,
            Options = parsed.Spec.Options with { UniqueBy = uniqueBy.ToEquatableArray() },
        };
        return new ResolvedJob(spec, parsed.Identity, parsed.Diagnostics);
    }
}
