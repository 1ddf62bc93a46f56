using Npgsql;

namespace Queues.Internal;

/// <summary>Applies the versioned migrations embedded in this assembly (<c>Internal/Migrations/NNNN_name.sql</c>).</summary>
internal static class Migrator
{
    // Append only: a shipped migration is never edited, a change is a new file.
    private static readonly string[] s_migrations = ["0001_initial", "0002_running_index", "0003_leader", "0004_cron", "0005_paused_queues", "0006_unique_jobs"];

    public static int LatestVersion => s_migrations.Length;

    /// <summary>Brings the schema to <see cref="LatestVersion"/> in one transaction; concurrent callers wait for each other.</summary>
    /// <returns>The number of migrations applied.</returns>
    public static async Task<int> MigrateAsync(NpgsqlDataSource dataSource, Sql sql, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(hashtext('queues.migrate.' || $1))", cancellationToken, sql.Schema)
                    .ConfigureAwait(false);
                await ExecuteAsync(connection, $"CREATE SCHEMA IF NOT EXISTS \"{sql.Schema}\"", cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection,
                    $"CREATE TABLE IF NOT EXISTS {sql.MigrationsTable} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                    cancellationToken).ConfigureAwait(false);

                int current;
                using (var command = new NpgsqlCommand(sql.CurrentVersion, connection))
                {
                    current = (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                }

                if (current > LatestVersion)
                {
                    throw new InvalidOperationException(
                        $"Schema '{sql.Schema}' is at migration {current}, newer than this version of Queues knows ({LatestVersion}). Upgrade the Queues package.");
                }

                for (var version = current + 1; version <= LatestVersion; version++)
                {
                    var name = s_migrations[version - 1];
                    var text = ReadMigration(name).Replace("{schema}", $"\"{sql.Schema}\"", StringComparison.Ordinal);
                    await ExecuteAsync(connection, text, cancellationToken).ConfigureAwait(false);
                    await ExecuteAsync(connection, $"INSERT INTO {sql.MigrationsTable} (version, name) VALUES ($1, $2)", cancellationToken, version, name)
                        .ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return LatestVersion - current;
            }
        }
    }

    /// <summary>The schema's applied version, or 0 when it has never been migrated.</summary>
    public static async Task<int> GetVersionAsync(NpgsqlDataSource dataSource, Sql sql, CancellationToken cancellationToken)
    {
        using var command = dataSource.CreateCommand($"SELECT to_regclass('{sql.MigrationsTable}') IS NOT NULL");
        var exists = (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        if (!exists)
        {
            return 0;
        }

        using var version = dataSource.CreateCommand(sql.CurrentVersion);
        return (int)(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static string ReadMigration(string name)
    {
        var resource = $"Queues.Migrations.{name}.sql";
        using var stream = typeof(Migrator).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Migration resource '{resource}' is missing from the Queues assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string text, CancellationToken cancellationToken, params object[] parameters)
    {
        using var command = new NpgsqlCommand(text, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
