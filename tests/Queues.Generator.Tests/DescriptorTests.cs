using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Queues.Generator.Tests;

/// <summary>Every diagnostic ships with its docs page and release-tracking line, and says what to do.</summary>
public sealed class DescriptorTests
{
    public static TheoryData<string> Ids => new(Descriptors().Select(static d => d.Id));

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_HasADocsPage_AReleaseLine_AndAHelpLink(string id)
    {
        var descriptor = Descriptors().Single(d => d.Id == id);
        var repository = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", ".."));

        var page = Path.Combine(repository, "docs", "diagnostics", id + ".md");
        Assert.True(File.Exists(page), $"{id} has no docs page at {page}.");
        Assert.StartsWith($"# {id}: {descriptor.Title}", File.ReadAllText(page), StringComparison.Ordinal);
        Assert.EndsWith($"docs/diagnostics/{id}.md", descriptor.HelpLinkUri, StringComparison.Ordinal);

        var releases = File.ReadAllText(Path.Combine(repository, "src", "Generator", "AnalyzerReleases.Unshipped.md"));
        Assert.Contains($"{id} | Queues.Declaration | {descriptor.DefaultSeverity} | {descriptor.Title}", releases, StringComparison.Ordinal);
        Assert.False(descriptor.Title.ToString().EndsWith('.'), "A title is a noun phrase without a full stop.");
    }

    private static IEnumerable<DiagnosticDescriptor> Descriptors()
        => typeof(Queues.Generator.Descriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(static f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(static f => (DiagnosticDescriptor)f.GetValue(null)!);

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
