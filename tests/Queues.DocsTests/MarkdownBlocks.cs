using System.Text.RegularExpressions;

namespace Queues.DocsTests;

/// <summary>A fenced <c>csharp</c> block of a Markdown file: where it is, its code (dedented), and its fragment context, if marked.</summary>
public sealed record CodeBlock(string File, int Line, int Ordinal, string Code, string? Context)
{
    public override string ToString() => $"{File}:{Line} (block {Ordinal}{(Context is null ? "" : $", fragment: {Context}")})";
}

/// <summary>
/// Reads the C# blocks of README.md and docs/*.md. A block preceded by <c>&lt;!-- fragment: name --&gt;</c> is a fragment,
/// compiled inside the code <see cref="Contexts"/> supplies for that name; any other block is a complete file.
/// </summary>
public static partial class MarkdownBlocks
{
    public static IReadOnlyList<string> DocumentedFiles()
    {
        var root = RepositoryRoot();
        return [Path.Combine(root, "README.md"), .. Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal)];
    }

    public static IReadOnlyList<CodeBlock> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var name = Path.GetRelativePath(RepositoryRoot(), path).Replace('\\', '/');
        var blocks = new List<CodeBlock>();
        string? pendingContext = null;
        for (var i = 0; i < lines.Length; i++)
        {
            if (FragmentMarker().Match(lines[i]) is { Success: true } marker)
            {
                pendingContext = marker.Groups[1].Value;
                continue;
            }

            var fence = Fence().Match(lines[i]);
            if (!fence.Success)
            {
                if (lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    // Another language's block: skip to its end, so a ```csharp inside it is not read.
                    for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
                    {
                    }
                }

                if (i < lines.Length && lines[i].Trim().Length > 0)
                {
                    pendingContext = null;
                }

                continue;
            }

            var indent = fence.Groups[1].Value.Length;
            var start = i + 1;
            var code = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
            {
                code.Add(lines[i].Length >= indent ? lines[i][indent..] : lines[i].TrimStart());
            }

            blocks.Add(new CodeBlock(name, start, blocks.Count, string.Join('\n', code) + "\n", pendingContext));
            pendingContext = null;
        }

        return blocks;
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Queues.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Queues.sln not found above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^\s*<!--\s*fragment:\s*([\w-]+)\s*-->\s*$")]
    private static partial Regex FragmentMarker();

    [GeneratedRegex(@"^(\s*)```(?:csharp|cs|c#)\s*$")]
    private static partial Regex Fence();
}
