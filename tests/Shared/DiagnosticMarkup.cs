// Shared by the analyzer and generator test projects (linked, not copied). The markup is that of
// Microsoft.CodeAnalysis.Testing, so moving to those packages later is mechanical.
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Queues.Tests.Shared;

/// <summary>An expected or actual diagnostic: its id, file and span.</summary>
internal readonly record struct ExpectedDiagnostic(string Id, string Path, TextSpan Span)
{
    /// <summary>
    /// The path comes from the line span: generator diagnostics carry file locations rebuilt from values, without a
    /// source tree, and for source locations it is the tree's path.
    /// </summary>
    public static ExpectedDiagnostic FromDiagnostic(Diagnostic diagnostic) =>
        new(diagnostic.Id, diagnostic.Location.GetLineSpan().Path is { Length: > 0 } path ? path : "(no source)", diagnostic.Location.SourceSpan);
}

/// <summary>Strips <c>{|ID:…|}</c> and <c>[|…|]</c> markup, recording the spans in the stripped text.</summary>
internal static class MarkupParser
{
    public static (string Source, IReadOnlyList<ExpectedDiagnostic> Expected) Parse(string markup, string? defaultId, string path = "Test0.cs")
    {
        var output = new StringBuilder(markup.Length);
        var open = new Stack<(int Start, string? Id)>();
        var expected = new List<ExpectedDiagnostic>();

        var i = 0;
        while (i < markup.Length)
        {
            if (StartsWith(markup, i, "{|"))
            {
                var colon = markup.IndexOf(':', i + 2);
                if (colon < 0)
                {
                    throw new FormatException($"Markup '{{|' at offset {i} has no ':' after the diagnostic id.");
                }

                open.Push((output.Length, markup[(i + 2)..colon]));
                i = colon + 1;
            }
            else if (StartsWith(markup, i, "[|"))
            {
                open.Push((output.Length, null));
                i += 2;
            }
            else if (StartsWith(markup, i, "|}") || StartsWith(markup, i, "|]"))
            {
                var tagged = markup[i + 1] == '}';
                if (open.Count == 0)
                {
                    throw new FormatException($"Markup close '{markup.Substring(i, 2)}' at offset {i} has no matching open.");
                }

                var (start, id) = open.Pop();
                if (tagged != (id is not null))
                {
                    throw new FormatException($"Markup close '{markup.Substring(i, 2)}' at offset {i} does not match its open.");
                }

                id ??= defaultId ?? throw new FormatException("'[|…|]' needs an analyzer with exactly one diagnostic id; use '{|ID:…|}'.");
                expected.Add(new ExpectedDiagnostic(id, path, TextSpan.FromBounds(start, output.Length)));
                i += 2;
            }
            else
            {
                output.Append(markup[i]);
                i++;
            }
        }

        if (open.Count > 0)
        {
            throw new FormatException($"{open.Count} markup span(s) were opened but not closed.");
        }

        return (output.ToString(), expected);
    }

    private static bool StartsWith(string text, int index, string value) =>
        string.CompareOrdinal(text, index, value, 0, value.Length) == 0;
}
