using Microsoft.Extensions.Diagnostics.HealthChecks;
using Quartz;

namespace Orchestrator.Scheduling;

/// <summary>Ready when the Quartz scheduler (the timer sweep and retention) runs.</summary>
public sealed class SchedulerHealthCheck(ISchedulerFactory schedulers) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var scheduler = await schedulers.GetScheduler(cancellationToken);
            var status = await scheduler.GetStatus(cancellationToken);
            return status == SchedulerStatus.Running
                ? HealthCheckResult.Healthy("the Quartz scheduler runs")
                : HealthCheckResult.Unhealthy($"the Quartz scheduler is {status}");
        }
        catch (Exception exception)
        {
            return HealthCheckResult.Unhealthy("the Quartz scheduler is unavailable", exception);
        }
    }
}
