using Orchestrator.Persistence;

namespace Orchestrator.Hosting;

/// <summary>Applies the schema before the bus starts, when the options say so (the embedded default).</summary>
public static class SchemaStartup
{
    public static async Task MigrateIfEnabledAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OrchestratorOptions>>().Value;
        if (!options.MigratesOnStart)
            return;
        var store = services.GetRequiredService<StoreSettings>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Orchestrator.Migrations");
        foreach (var migrator in store.Migrators(logger))
            await migrator.MigrateAsync(cancellationToken);
    }
}
