using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;

namespace Orchestrator.Persistence;

/// <summary>Ready when the database answers and carries every migration this build knows.</summary>
public sealed class StoreHealthCheck(StoreSettings store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var pending = await new SchemaMigrator(store.Kind, store.ConnectionString, NullLogger.Instance).PendingAsync(cancellationToken);
            return pending.Count == 0
                ? HealthCheckResult.Healthy($"{store.Kind} reachable and migrated")
                : HealthCheckResult.Unhealthy($"{store.Kind} lacks migrations {string.Join(", ", pending)}: run `orchestrator migrate`");
        }
        catch (Exception exception)
        {
            return HealthCheckResult.Unhealthy($"{store.Kind} unreachable", exception);
        }
    }
}
