using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Orchestrator.Hosting;
using Orchestrator.Sagas.EntityFrameworkCore;

namespace Orchestrator.Persistence;

/// <summary>The resolved store: which database and how to reach it (runtime and migration roles).</summary>
public sealed record StoreSettings(StoreKind Kind, string ConnectionString, string MigrationConnectionString, string QuartzConnectionString)
{
    public static StoreSettings From(OrchestratorOptions options, IConfiguration configuration)
    {
        if (options.Store == StoreKind.Postgres)
        {
            var runtime = configuration.GetConnectionString("Postgres");
            if (string.IsNullOrWhiteSpace(runtime))
            {
                throw new InvalidOperationException(
                    "ConnectionStrings:Postgres is required when Orchestrator:Store is Postgres (e.g. Host=127.0.0.1;Database=orchestrator;Username=...;Password=...)");
            }
            // Migrations create tables, which the runtime role may not: they may use the owner's connection.
            var owner = configuration.GetConnectionString("PostgresMigrations");
            // Quartz's tables live in the same database, so one migration run creates everything.
            var pooled = RuntimePool(runtime);
            return new StoreSettings(StoreKind.Postgres, pooled, string.IsNullOrWhiteSpace(owner) ? runtime : owner, pooled);
        }

        var sqlite = configuration.GetConnectionString("Sqlite");
        var quartz = configuration.GetConnectionString("SqliteQuartz");
        if (string.IsNullOrWhiteSpace(sqlite) || string.IsNullOrWhiteSpace(quartz))
        {
            var directory = Path.GetFullPath(options.DataDirectory);
            Directory.CreateDirectory(directory);
            if (string.IsNullOrWhiteSpace(sqlite))
                sqlite = SqliteFile(Path.Combine(directory, "orchestrator.db"));
            if (string.IsNullOrWhiteSpace(quartz))
                quartz = SqliteFile(Path.Combine(directory, "quartz.db"));
        }
        return new StoreSettings(StoreKind.Sqlite, sqlite, sqlite, quartz);
    }

    /// <summary>
    /// The runtime's pooled connections, unless the connection string says otherwise:
    /// <list type="bullet">
    /// <item>skip Npgsql's reset (<c>DISCARD ALL</c>) when they are taken again. PostgreSQL counts each reset as a
    /// transaction of its own, about as many commits as the work itself (bench/README.md has the figures). The runtime
    /// keeps no session state (no SET, no temporary tables, no session locks; transactions always end); the migrator,
    /// which takes a session advisory lock, keeps the reset on its own connection string;</item>
    /// <item>prepare the statements they run again and again (<c>Max Auto Prepare</c>), so PostgreSQL parses and
    /// plans each saga load and update once per connection instead of once per message. Every statement names its
    /// columns, so a migration that adds one does not invalidate a prepared result.</item>
    /// </list>
    /// </summary>
    static string RuntimePool(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("reset on close", StringComparison.OrdinalIgnoreCase))
            builder.NoResetOnClose = true;
        if (!connectionString.Contains("auto prepare", StringComparison.OrdinalIgnoreCase))
            builder.MaxAutoPrepare = 64;
        return builder.ConnectionString;
    }

    // Waits up to 30 s for SQLite's one writer lock instead of failing at once.
    static string SqliteFile(string path) =>
        new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();

    /// <summary>Every schema this store needs: the saga tables, and in the embedded mode Quartz's own file.</summary>
    public IEnumerable<SchemaMigrator> Migrators(ILogger logger)
    {
        yield return new SchemaMigrator(Kind, MigrationConnectionString, logger) { RuntimeRole = RuntimeRole() };
        if (Kind == StoreKind.Sqlite)
            yield return new SchemaMigrator(StoreKind.Sqlite, QuartzConnectionString, logger, SchemaMigrator.SqliteQuartzFolder);
    }

    /// <summary>
    /// The PostgreSQL role the processes run as, when migrations run as another (the owner): it gets DML rights on
    /// every table, never the right to change the schema. Null on SQLite or when one role does both.
    /// </summary>
    public string? RuntimeRole()
    {
        if (Kind != StoreKind.Postgres)
            return null;
        var runtime = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString).Username;
        var owner = new Npgsql.NpgsqlConnectionStringBuilder(MigrationConnectionString).Username;
        return string.IsNullOrEmpty(runtime) || string.Equals(runtime, owner, StringComparison.Ordinal) ? null : runtime;
    }

    public void Configure(DbContextOptionsBuilder builder)
    {
        if (Kind == StoreKind.Postgres)
            builder.UseNpgsql(ConnectionString);
        else
            builder.UseSqlite(ConnectionString);
        builder.AddInterceptors(SagaVersionInterceptor.Instance);
        // Reads are tracked only where the saga repository asks for it.
        builder.UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking);
    }
}
