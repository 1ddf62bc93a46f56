using Microsoft.CodeAnalysis;

namespace Queues.Generator.Tests.Verification;

/// <summary>
/// Picks one of a job's enqueue overloads the way an analyzer tells them apart: the transactional one takes an
/// <c>NpgsqlTransaction</c> first, the fire-and-forget one takes none.
/// </summary>
internal static class EnqueueOverloads
{
    public static IMethodSymbol WithTransaction(INamedTypeSymbol jobs, string name)
        => Assert.Single(jobs.GetMembers(name).OfType<IMethodSymbol>(), TakesTransaction);

    public static IMethodSymbol WithoutTransaction(INamedTypeSymbol jobs, string name)
        => Assert.Single(jobs.GetMembers(name).OfType<IMethodSymbol>(), static m => !TakesTransaction(m));

    public static bool TakesTransaction(IMethodSymbol method)
        => method.Parameters.Any(static p => p.Type.ToDisplayString() == "Npgsql.NpgsqlTransaction");
}
