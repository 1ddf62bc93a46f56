using System.Text;
using Microsoft.CodeAnalysis;
using Queues.Tests.Shared;

namespace Queues.Generator.Tests.Verification;

/// <summary>Compares diagnostics with the spans <see cref="MarkupParser"/> found in <c>{|QUE0001:…|}</c> markup.</summary>
internal static class DiagnosticAssert
{
    /// <summary>Fails unless <paramref name="actual"/> are exactly <paramref name="expected"/>, describing both with their text.</summary>
    public static void AssertMatch(IReadOnlyList<ExpectedDiagnostic> expected, IEnumerable<Diagnostic> actual, IReadOnlyList<SyntaxTree> trees)
    {
        var actualList = actual.Select(ExpectedDiagnostic.FromDiagnostic).ToList();
        var missing = expected.ToList();
        var unexpected = new List<ExpectedDiagnostic>();
        foreach (var diagnostic in actualList)
        {
            if (!missing.Remove(diagnostic))
            {
                unexpected.Add(diagnostic);
            }
        }

        if (missing.Count == 0 && unexpected.Count == 0)
        {
            return;
        }

        Assert.Fail(new StringBuilder()
            .AppendLine("Diagnostics did not match.")
            .AppendLine("Expected:").Append(Describe(expected, trees))
            .AppendLine("Actual:").Append(Describe(actualList, trees))
            .AppendLine("Missing:").Append(Describe(missing, trees))
            .AppendLine("Unexpected:").Append(Describe(unexpected, trees))
            .ToString());
    }

    private static string Describe(IEnumerable<ExpectedDiagnostic> diagnostics, IReadOnlyList<SyntaxTree> trees)
    {
        var builder = new StringBuilder();
        foreach (var diagnostic in diagnostics.OrderBy(static d => d.Path, StringComparer.Ordinal).ThenBy(static d => d.Span.Start))
        {
            var tree = trees.FirstOrDefault(t => t.FilePath == diagnostic.Path);
            builder.Append("  ").Append(diagnostic.Id).Append(" at ").Append(diagnostic.Path).Append(diagnostic.Span);
            if (tree is not null && diagnostic.Span.End <= tree.Length)
            {
                builder.Append(": '").Append(tree.GetText().ToString(diagnostic.Span).ReplaceLineEndings(" ")).Append('\'');
            }

            builder.AppendLine();
        }

        return builder.Length == 0 ? "  (none)" + Environment.NewLine : builder.ToString();
    }
}
