using System.Collections.Immutable;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;

namespace Queues.Generator.Tests.Verification;

/// <summary>The test framework's markup, for the harness runs that need the plain source of a marked-up test.</summary>
internal static class Markup
{
    public static string Strip(string markup)
    {
        TestFileMarkupParser.GetSpans(markup, out string source, out ImmutableDictionary<string, ImmutableArray<TextSpan>> _);
        return source;
    }
}
