using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orchestrator.Persistence;
using Orchestrator.StateMachines;
using Orchestrator.Telemetry;

namespace Orchestrator.Hosting;

/// <summary>Before anything that needs the database starts (the bus, Quartz, the retry poller): the store is there.</summary>
public static class SchemaStartup
{
    /// <summary>Applies the schema, when the options say so (the embedded default).</summary>
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

    /// <summary>
    /// With the in-memory bus, the attempts queued or running at the last stop went with the process: each one still
    /// in flight on a row ends now (its timeout is set to now), so the sweep records it timed out and its retry follows
    /// at once, rather than when its timeout or deadline would have come. Returns how many.
    /// </summary>
    public static async Task<int> EndAttemptsLostWithTheQueueAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OrchestratorOptions>>().Value;
        if (options.Transport != TransportKind.InMemory)
            return 0;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var ended = await db.Requests
            .Where(x => (x.CurrentState == RequestStates.Pending || x.CurrentState == RequestStates.Processing ||
                         x.CurrentState == RequestStates.Paused) && x.AttemptTimeoutAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.AttemptTimeoutAt, now).SetProperty(x => x.Version, x => x.Version + 1), cancellationToken);
        if (ended > 0)
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Orchestrator.Startup").AttemptsLostWithTheQueue(ended);
        return ended;
    }

    /// <summary>
    /// Waits until PostgreSQL answers and carries every migration this build knows, for up to
    /// <see cref="OrchestratorOptions.StartupTimeout"/>: a database that restarts, or a <c>migrate</c> still running
    /// beside this process, delays the start instead of crashing it. Returns the last problem when it never got there.
    /// </summary>
    public static async Task<string?> WaitForStoreAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<StoreSettings>();
        if (store.Kind != StoreKind.Postgres)
            return null;
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OrchestratorOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Orchestrator.Startup");
        var check = new StoreHealthCheck(store);
        var waited = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(250);
        var waits = 0;
        while (true)
        {
            var result = await check.CheckHealthAsync(new HealthCheckContext(), cancellationToken);
            if (result.Status == HealthStatus.Healthy)
            {
                // Said whenever it had to wait, however briefly, so the log always pairs with the waits above.
                if (waits > 0)
                    logger.StoreReady(waited.Elapsed.TotalSeconds);
                return null;
            }
            var problem = result.Description ?? "unknown";
            if (waited.Elapsed + delay > options.StartupTimeout)
                return $"{problem} (gave up after {waited.Elapsed.TotalSeconds:0} s; Orchestrator:StartupTimeout is {options.StartupTimeout})";
            logger.WaitingForStore(problem, delay.TotalSeconds);
            waits++;
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }
}
