using Quartz;

namespace Orchestrator.Scheduling;

/// <summary>
/// Backoff timers as Quartz triggers in the persistent job store: one trigger per request
/// (<c>retries.{correlationId}</c>) for the durable <see cref="RetryDueJob"/>, carrying the request id and the
/// saga's retry token. Clustered on PostgreSQL, a trigger fires on exactly one node.
/// </summary>
public sealed class QuartzRetryTimers(ISchedulerFactory schedulers) : IRetryTimers
{
    public const string TriggerGroup = "retries";

    public static TriggerKey KeyFor(Guid correlationId) => new(correlationId.ToString("N"), TriggerGroup);

    public async Task ScheduleAsync(string requestId, Guid correlationId, Guid token, DateTime dueAtUtc, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var trigger = TriggerBuilder.Create()
            .WithIdentity(KeyFor(correlationId))
            .ForJob(RetryDueJob.Key)
            .UsingJobData(RetryDueJob.RequestIdKey, requestId)
            .UsingJobData(RetryDueJob.TokenKey, token.ToString())
            .UsingJobData(RetryDueJob.DueAtKey, dueAtUtc.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .StartAt(new DateTimeOffset(dueAtUtc, TimeSpan.Zero))
            // Late (a node was down): fire as soon as possible, never skip.
            .WithSchedule(SimpleScheduleBuilder.Create().WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        // A trigger of the request's previous retry that has not been cleaned up yet is replaced.
        await scheduler.ScheduleJob(trigger, new ScheduleJobOptions { Replace = true }, cancellationToken);
    }

    public async Task CancelAsync(Guid correlationId, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await scheduler.UnscheduleJob(KeyFor(correlationId), cancellationToken);
    }
}
