using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Orchestrator.Hosting;
using Orchestrator.Persistence.Sagas;

namespace Orchestrator.Persistence;

/// <summary>The resolved store: which database and how to reach it (runtime and migration roles).</summary>
public sealed record StoreSettings(StoreKind Kind, string ConnectionString, string MigrationConnectionString)
{
    public static StoreSettings From(OrchestratorOptions options, IConfiguration configuration)
    {
        if (options.Store == StoreKind.Postgres)
        {
            var runtime = configuration.GetConnectionString("Postgres");
            if (string.IsNullOrWhiteSpace(runtime))
                throw new InvalidOperationException(
                    "ConnectionStrings:Postgres is required when Orchestrator:Store is Postgres (e.g. Host=127.0.0.1;Database=orchestrator;Username=...;Password=...)");
            // Migrations create tables, which the runtime role may not: they may use the owner's connection.
            var owner = configuration.GetConnectionString("PostgresMigrations");
            return new StoreSettings(StoreKind.Postgres, runtime, string.IsNullOrWhiteSpace(owner) ? runtime : owner);
        }

        var sqlite = configuration.GetConnectionString("Sqlite");
        if (string.IsNullOrWhiteSpace(sqlite))
        {
            var directory = Path.GetFullPath(options.DataDirectory);
            Directory.CreateDirectory(directory);
            sqlite = new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(directory, "orchestrator.db"),
                Pooling = true,
                // Waits this long for the one writer lock instead of failing at once.
                DefaultTimeout = 30,
            }.ToString();
        }
        return new StoreSettings(StoreKind.Sqlite, sqlite, sqlite);
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
