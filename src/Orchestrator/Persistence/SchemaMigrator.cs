using System.Data.Common;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Npgsql;
using Orchestrator.Telemetry;

namespace Orchestrator.Persistence;

/// <summary>
/// Applies the SQL files of <c>migrations/&lt;provider&gt;/</c> (embedded in the executable) in name order, each once,
/// recording them in <c>schema_migrations</c>. Plain SQL rather than EF migrations: operators can read and review
/// exactly what runs, and Quartz's job-store DDL is SQL anyway. Safe to run from several processes at once.
/// </summary>
public sealed class SchemaMigrator(StoreKind store, string connectionString, ILogger logger, string? folder = null)
{
    /// <summary>The embedded Quartz store's own SQLite file has a migration set of its own.</summary>
    public const string SqliteQuartzFolder = "sqlite-quartz";

    readonly string _folder = folder ?? store.ToString().ToLowerInvariant();

    // Any constant works; it only has to be the same for every orchestrator process.
    const long AdvisoryLockKey = 0x4F52_4348_4D49_4752; // "ORCHMIGR"

    /// <summary>The migrations this build carries, in the order they apply.</summary>
    public static IReadOnlyList<(string Id, string Sql)> Embedded(string folder)
    {
        var prefix = $"migrations/{folder}/";
        var assembly = typeof(SchemaMigrator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => (Path.GetFileNameWithoutExtension(n[prefix.Length..]), Read(assembly, n)))
            .ToList();
    }

    static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"missing embedded migration {name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Applies what is missing; returns the ids applied now.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var migrations = Embedded(_folder);
        if (migrations.Count == 0)
            throw new InvalidOperationException($"this build carries no migrations in migrations/{_folder}");

        await using var connection = Open();
        await connection.OpenAsync(cancellationToken);
        if (store == StoreKind.Sqlite)
            await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken);
        else
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({AdvisoryLockKey});", cancellationToken);

        try
        {
            await ExecuteAsync(connection, null,
                "CREATE TABLE IF NOT EXISTS schema_migrations (id varchar(200) PRIMARY KEY, applied_at varchar(40) NOT NULL);",
                cancellationToken);
            var applied = await AppliedAsync(connection, cancellationToken);
            var now = new List<string>();
            foreach (var (id, sql) in migrations)
            {
                if (applied.Contains(id))
                    continue;
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                foreach (var statement in QuartzSchema.Expand(sql))
                    await ExecuteAsync(connection, tx, statement, cancellationToken);
                await using (var record = DbCommands.Create(connection, tx, "INSERT INTO schema_migrations (id, applied_at) VALUES (@id, @at)")
                    .With("@id", id).With("@at", DateTime.UtcNow.ToString("O")))
                {
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await tx.CommitAsync(cancellationToken);
                logger.MigrationApplied(id, _folder);
                now.Add(id);
            }
            if (now.Count == 0)
                logger.SchemaUpToDate(_folder, migrations.Count);
            if (store == StoreKind.Postgres && RuntimeRole is { } role)
                await GrantRuntimeRoleAsync(connection, role, cancellationToken);
            return now;
        }
        finally
        {
            if (store == StoreKind.Postgres)
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey});", CancellationToken.None);
        }
    }

    /// <summary>The role the processes run as (PostgreSQL): after migrating, it gets DML on every table and sequence, nothing more.</summary>
    public string? RuntimeRole { get; init; }

    /// <summary>
    /// Every table, Quartz's included: SELECT, INSERT, UPDATE, DELETE, and the sequences' USAGE. No CREATE on the
    /// schema and no ownership, so the runtime role cannot alter the schema. Idempotent; run after each migrate.
    /// </summary>
    async Task GrantRuntimeRoleAsync(DbConnection connection, string role, CancellationToken cancellationToken)
    {
        var quoted = "\"" + role.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        await ExecuteAsync(connection, null, $"GRANT USAGE ON SCHEMA public TO {quoted};", cancellationToken);
        await ExecuteAsync(connection, null, $"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted};", cancellationToken);
        await ExecuteAsync(connection, null, $"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted};", cancellationToken);
        logger.RuntimeRoleGranted(role);
    }

    /// <summary>The ids this build carries that the database has not applied yet (empty = up to date).</summary>
    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = Open();
        await connection.OpenAsync(cancellationToken);
        var applied = await AppliedAsync(connection, cancellationToken, tolerateMissingTable: true);
        return Embedded(_folder).Select(m => m.Id).Where(id => !applied.Contains(id)).ToList();
    }

    static async Task<HashSet<string>> AppliedAsync(DbConnection connection, CancellationToken cancellationToken, bool tolerateMissingTable = false)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM schema_migrations";
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                applied.Add(reader.GetString(0));
        }
        catch (DbException) when (tolerateMissingTable)
        {
            // No table yet: nothing applied.
        }
        return applied;
    }

    DbConnection Open() => store switch
    {
        StoreKind.Postgres => new NpgsqlConnection(connectionString),
        _ => new SqliteConnection(connectionString),
    };

    static async Task ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = DbCommands.Create(connection, tx, sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

}
