namespace Queues.Internal;

internal sealed partial class JobStore
{
    /// <summary>
    /// Brings the schema to <see cref="Migrations.LatestVersion"/> in one transaction; concurrent callers wait for each
    /// other on an advisory lock. A schema that is current is only read (so a role with data rights alone can call this).
    /// </summary>
    /// <returns>The number of migrations applied.</returns>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        if (await GetSchemaVersionAsync(cancellationToken).ConfigureAwait(false) == Migrations.LatestVersion)
        {
            return 0;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await MigrateLockedAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Npgsql.PostgresException exception) when (exception.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation && attempt < 3)
            {
                // A backend that looked the schema up before a concurrent migrator created it can keep that miss in its
                // catalog cache through the advisory-lock wait (only a new transaction refreshes it) and then try to
                // create the schema again. Retrying in a new transaction sees what the other migrator committed.
            }
        }
    }

    private async Task<int> MigrateLockedAsync(CancellationToken cancellationToken)
    {
        var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await ExecuteInAsync(transaction, Sql.MigrationLock, cancellationToken, Parameters.Text(Schema)).ConfigureAwait(false);
                await ExecuteInAsync(transaction, Sql.CreateSchema, cancellationToken).ConfigureAwait(false);
                await ExecuteInAsync(transaction, Sql.CreateMigrationsTable, cancellationToken).ConfigureAwait(false);

                int current;
                using (var command = Command(Sql.CurrentVersion, transaction))
                {
                    current = (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                }

                ThrowIfNewer(current);
                for (var version = current + 1; version <= Migrations.LatestVersion; version++)
                {
                    await ExecuteInAsync(transaction, Migrations.Text(version, Schema), cancellationToken).ConfigureAwait(false);
                    await ExecuteInAsync(transaction, Sql.RecordMigration, cancellationToken, Parameters.Integer(version), Parameters.Text(Migrations.Name(version)))
                        .ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return Migrations.LatestVersion - current;
            }
        }
    }

    /// <summary>The schema's applied version, or 0 when it has never been migrated. Reads only.</summary>
    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken)
    {
        using (var exists = Command(Sql.MigrationsTableExists))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return 0;
            }
        }

        using var version = Command(Sql.CurrentVersion);
        return (int)(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private void ThrowIfNewer(int current)
    {
        if (current > Migrations.LatestVersion)
        {
            throw new InvalidOperationException(
                $"Schema '{Schema}' is at migration {current}, newer than this version of Queues knows ({Migrations.LatestVersion}). Upgrade the Queues package.");
        }
    }

    private static async Task ExecuteInAsync(Npgsql.NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken,
        params Npgsql.NpgsqlParameter[] parameters)
    {
        using var command = Command(sql, transaction.Connection!, transaction, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
