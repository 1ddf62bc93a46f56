using System.Text;

namespace Queues.Internal;

internal sealed partial class JobStore
{
    /// <summary>
    /// Undoes migrations down to <paramref name="targetVersion"/>, newest first, in one transaction under the same
    /// advisory lock as <see cref="MigrateAsync"/>: all of them are undone or none.
    /// </summary>
    /// <returns>The number of migrations undone.</returns>
    public async Task<int> RollbackAsync(int targetVersion, CancellationToken cancellationToken)
    {
        var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await ExecuteInAsync(transaction, Sql.MigrationLock, cancellationToken, Parameters.Text(Schema)).ConfigureAwait(false);
                int current;
                using (var exists = Command(Sql.MigrationsTableExists, transaction))
                {
                    current = (bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! ? -1 : 0;
                }

                if (current < 0)
                {
                    using var command = Command(Sql.CurrentVersion, transaction);
                    current = (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                }

                ThrowIfNewer(current);
                for (var version = current; version > targetVersion; version--)
                {
                    await ExecuteInAsync(transaction, Migrations.DownText(version, Schema), cancellationToken).ConfigureAwait(false);
                    await ExecuteInAsync(transaction, Sql.DeleteMigration, cancellationToken, Parameters.Integer(version)).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return Math.Max(0, current - targetVersion);
            }
        }
    }

    /// <summary>
    /// The SQL that brings the schema from <paramref name="fromVersion"/> to <see cref="Migrations.LatestVersion"/>, for a
    /// DBA to review and run: one transaction, the same statements and bookkeeping as <see cref="MigrateAsync"/>.
    /// </summary>
    public string MigrationScript(int fromVersion)
    {
        var script = new StringBuilder();
        script.Append("-- Queues: schema \"").Append(Schema).Append("\" from version ").Append(fromVersion).Append(" to ").Append(Migrations.LatestVersion).AppendLine();
        script.AppendLine("BEGIN;");
        script.Append(Sql.CreateSchema).AppendLine(";");
        script.Append(Sql.CreateMigrationsTable).AppendLine(";");
        for (var version = fromVersion + 1; version <= Migrations.LatestVersion; version++)
        {
            script.AppendLine().Append("-- ").AppendLine(Migrations.Name(version));
            script.AppendLine(Migrations.Text(version, Schema).TrimEnd());
            script.Append(Sql.RecordMigrationLiteral(version, Migrations.Name(version))).AppendLine(";");
        }

        script.AppendLine("COMMIT;");
        return script.ToString();
    }
}
