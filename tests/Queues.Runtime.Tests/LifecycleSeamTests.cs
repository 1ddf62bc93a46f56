using System.Reflection;
using System.Text.RegularExpressions;
using Queues.Internal;

namespace Queues.Runtime.Tests;

/// <summary>
/// Holds the two seams of the lifecycle (docs/architecture.md): every statement that can move a job to a final state is
/// built by the finish path, and every statement that takes rows for running applies the claim rule. A relation attached
/// at either seam then holds for every way a job finishes or is claimed.
/// </summary>
public sealed partial class LifecycleSeamTests
{
    /// <summary>
    /// The statements that set a job's state but never to a final one: claims, promotion, snooze, release, an operator's
    /// retry. Adding a statement here is a decision a reviewer sees.
    /// </summary>
    private static readonly string[] s_transitionsThatNeverFinish =
        ["Claim", "ClaimById", "Promote", "Snooze", "SnoozeAlone", "Release", "RetryJob", "RetryMatching"];

    private static readonly string[] s_finalStates = [.. JobStates.Finished.Select(JobStates.ToText)];

    [Fact]
    public void EveryStatementThatSetsAJobState_IsAFinishOrANamedTransition()
    {
        var statements = Statements();
        Assert.True(statements.Count > 40, $"found only {statements.Count} statements: is the reflection over Sql still right?");

        var settingState = statements.Where(static s => SetClauses(s.Value).Any(static set => StateAssignment().IsMatch(set))).ToList();
        var finishes = settingState.Where(static s => s.Value.TrimStart().StartsWith(Sql.FinishMarker, StringComparison.Ordinal)).Select(static s => s.Key).ToHashSet();
        var outside = settingState.Select(static s => s.Key).Except(finishes).Except(s_transitionsThatNeverFinish).ToList();
        Assert.True(outside.Count == 0,
            $"These statements set a job's state outside the finish path: {string.Join(", ", outside)}. Build them with Sql.Finish, or, if they can never finish a job, name them in s_transitionsThatNeverFinish.");

        // The finish path covers at least the outcomes known today (a statement dropped from it fails here too).
        string[] known = ["Complete", "CompleteAlone", "CompleteMany", "Fail", "Discard", "DiscardAlone", "Cancel", "CancelAlone", "DiscardPoison", "Rescue",
            "RescueUntracked", "CancelJob", "CancelMatching"];
        Assert.Empty(known.Except(finishes));
    }

    [Fact]
    public void TransitionsThatNeverFinish_SetNoFinalState()
    {
        var statements = Statements();
        foreach (var name in s_transitionsThatNeverFinish)
        {
            Assert.True(statements.ContainsKey(name), $"{name} is no longer a statement: remove it from the list.");
            var sets = SetClauses(statements[name]);
            Assert.NotEmpty(sets);
            foreach (var set in sets)
            {
                Assert.DoesNotContain(s_finalStates, state => set.Contains($"'{state}'", StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public void EveryFinish_ReturnsItsRowsThroughFinished()
    {
        foreach (var (name, text) in Statements().Where(static s => s.Value.TrimStart().StartsWith(Sql.FinishMarker, StringComparison.Ordinal)))
        {
            Assert.Matches(FinishedCte(), text);
            Assert.True(text.Contains("RETURNING j.id, j.state", StringComparison.Ordinal), $"{name}'s update must return j.id and j.state to finished.");
        }
    }

    [Fact]
    public void EveryClaim_AppliesTheClaimRule()
    {
        var statements = Statements();

        // The rule's signature: a paused queue is never claimed. Each statement that marks rows running, finds the next
        // claimable row, or finds queues with claimable work carries it.
        foreach (var name in new[] { "Claim", "ClaimById", "NextAvailable", "QueuesWithWork" })
        {
            Assert.Contains("paused_queues", statements[name], StringComparison.Ordinal);
            Assert.Contains("run_at <= now()", statements[name], StringComparison.Ordinal);
        }

        var claiming = statements.Where(static s => SetClauses(s.Value).Any(static set => set.Contains("'running'", StringComparison.Ordinal))).Select(static s => s.Key);
        Assert.Equal(["Claim", "ClaimById"], claiming.Order(StringComparer.Ordinal));
    }

    /// <summary>Every SQL text the runtime can send: the string properties of <see cref="Sql"/> for a schema.</summary>
    private static Dictionary<string, string> Statements()
    {
        var sql = new Sql("seams");
        return typeof(Sql).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(static p => p.PropertyType == typeof(string) && p.GetIndexParameters().Length == 0)
            .ToDictionary(static p => p.Name, p => (string)p.GetValue(sql)!, StringComparer.Ordinal);
    }

    /// <summary>The SET clauses of a statement's UPDATEs: from SET to the next FROM, WHERE or RETURNING.</summary>
    private static List<string> SetClauses(string statement) => [.. SetClause().Matches(statement).Select(static m => m.Groups[1].Value)];

    [GeneratedRegex(@"\bSET\b(.*?)(?=\bFROM\b|\bWHERE\b|\bRETURNING\b|$)", RegexOptions.Singleline)]
    private static partial Regex SetClause();

    [GeneratedRegex(@"(^|[\s,])state\s*=", RegexOptions.Singleline)]
    private static partial Regex StateAssignment();

    [GeneratedRegex(@"\bfinished AS \(\s*UPDATE\b", RegexOptions.Singleline)]
    private static partial Regex FinishedCte();
}
