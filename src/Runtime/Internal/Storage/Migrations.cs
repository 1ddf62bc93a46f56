namespace Queues.Internal;

/// <summary>The versioned migrations embedded in this assembly (<c>Internal/Storage/Migrations/NNNN_name.sql</c>).</summary>
internal static class Migrations
{
    // Append only: a shipped migration is never edited, a change is a new file.
    private static readonly string[] s_names = ["0001_initial", "0002_running_index", "0003_leader", "0004_cron", "0005_paused_queues", "0006_unique_jobs",
        "0007_nodes", "0008_trace_context", "0009_node_instance", "0010_hot_path_indexes"];

    /// <summary>The schema version this build needs.</summary>
    public static int LatestVersion => s_names.Length;

    /// <summary>The name of migration <paramref name="version"/> (1-based).</summary>
    public static string Name(int version) => s_names[version - 1];

    /// <summary>The text of migration <paramref name="version"/> with <c>{schema}</c> replaced by the quoted schema name.</summary>
    public static string Text(int version, string schema)
    {
        var resource = $"Queues.Migrations.{Name(version)}.sql";
        using var stream = typeof(Migrations).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Migration resource '{resource}' is missing from the Queues assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("{schema}", $"\"{schema}\"", StringComparison.Ordinal);
    }

    // Down migrations: migration NNNN_name.sql is undone by NNNN_name.down.sql beside it (embedded by the same glob), so
    // a new migration brings its rollback as one more file and nothing here changes.

    /// <summary>The text that undoes migration <paramref name="version"/>, with <c>{schema}</c> replaced.</summary>
    /// <exception cref="InvalidOperationException">The migration has no down script.</exception>
    public static string DownText(int version, string schema)
    {
        var resource = $"Queues.Migrations.{Name(version)}.down.sql";
        using var stream = typeof(Migrations).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Migration {version} ({Name(version)}) cannot be rolled back: it has no down script '{resource}'.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("{schema}", $"\"{schema}\"", StringComparison.Ordinal);
    }
}
