using System.Reflection;
using Microsoft.CodeAnalysis;

namespace Queues.Analyzers.Tests;

public sealed class DiagnosticDescriptorsTests
{
    public static TheoryData<string> DescriptorIds() =>
        new(AllDescriptors().Select(d => d.Id));

    [Theory]
    [MemberData(nameof(DescriptorIds))]
    public void EveryDescriptor_HasAHelpPageInTheRepo(string id)
    {
        var descriptor = AllDescriptors().Single(d => d.Id == id);

        Assert.Equal($"https://github.com/queues-dotnet/queues/blob/main/docs/diagnostics/{id}.md", descriptor.HelpLinkUri);
        Assert.True(File.Exists(Path.Combine(FindRepoRoot(), "docs", "diagnostics", id + ".md")), $"docs/diagnostics/{id}.md is missing.");
        Assert.Contains(descriptor.Category, new[] { "Queues.Declaration", "Queues.Usage" });
    }

    private static IEnumerable<DiagnosticDescriptor> AllDescriptors() =>
        typeof(DiagnosticDescriptors)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!);

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Queues.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Queues.sln not found above " + AppContext.BaseDirectory);
    }
}
