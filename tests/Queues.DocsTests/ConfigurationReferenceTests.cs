using System.Reflection;

namespace Queues.DocsTests;

/// <summary>docs/configuration.md lists every option of <see cref="QueuesOptions"/> with its configuration key.</summary>
public sealed class ConfigurationReferenceTests
{
    [Fact]
    public void Every_option_has_a_row_with_its_key()
    {
        var page = File.ReadAllText(Path.Combine(MarkdownBlocks.RepositoryRoot(), "docs", "configuration.md"));
        var options = typeof(QueuesOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(static p => p.Name).ToList();

        Assert.Contains("Queues", options);
        Assert.All(options, name => Assert.Contains($"| `{name}` |", page, StringComparison.Ordinal));
        Assert.All(options.Where(static n => n is not nameof(QueuesOptions.RetryDelay) and not nameof(QueuesOptions.Queues)),
            name => Assert.Contains($"| `Queues:{name}` |", page, StringComparison.Ordinal));
        Assert.Contains("| `Queues:Queues:<queue>` |", page, StringComparison.Ordinal);
    }
}
