using Microsoft.EntityFrameworkCore;
using Orchestrator.Persistence;

namespace Orchestrator.Telemetry;

/// <summary>
/// Feeds the requests-by-state and stuck-requests gauges: a few indexed queries every few seconds, rather than
/// queries per scrape.
/// </summary>
public sealed partial class StateGaugeRefresher(
    IServiceScopeFactory scopes,
    OrchestratorMetrics metrics,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<Scheduling.TimerOptions> timers,
    ILogger<StateGaugeRefresher> logger) : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
                metrics.StateCounts(await RequestCounts.ByStateAsync(db, stoppingToken));
                metrics.StuckCount(await StuckRequests.Query(db, timers.Value, clock.GetUtcNow().UtcDateTime).LongCountAsync(stoppingToken));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The store is away (readiness says so); the gauge keeps its last values.
                RefreshFailed(logger, exception.Message);
            }
            try
            {
                await Task.Delay(Interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(3201, LogLevel.Debug, "State gauge not refreshed: {Reason}")]
    static partial void RefreshFailed(ILogger logger, string reason);
}
