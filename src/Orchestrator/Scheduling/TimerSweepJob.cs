using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orchestrator.Persistence;
using Orchestrator.StateMachines;
using Quartz;

namespace Orchestrator.Scheduling;

/// <summary>
/// The recurring due-time sweep (a clustered Quartz job, so one node runs each pass): attempt timeouts and
/// deadlines have no trigger of their own, the sweep finds them through indexed due-time columns. It also repairs
/// a submission whose message a crash kept from being published. (Retries have a faster path: <see cref="RetryPoller"/>,
/// which also dispatches the next attempt of a submission whose first the broker did not confirm.) Every message it
/// sends is guarded by the saga (token, attempt number, state), so a duplicate of a message already handled changes nothing.
/// </summary>
[DisallowConcurrentExecution]
public sealed partial class TimerSweepJob(
    IServiceScopeFactory scopes,
    IBus bus,
    TimeProvider clock,
    IOptions<TimerOptions> options,
    IOptions<TimeoutOptions> timeouts,
    IAttemptBacklog queue,
    Batches.BatchCompletionSweep batches,
    ILogger<TimerSweepJob> logger) : IJob
{
    public static readonly JobKey Key = new("timer-sweep", "orchestrator");

    /// <summary>A submission not picked up by the saga within this long has lost its message.</summary>
    static readonly TimeSpan UnstartedGrace = TimeSpan.FromSeconds(10);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var ct = cancellationToken;
        var now = clock.GetUtcNow().UtcDateTime;
        var batch = options.Value.SweepBatchSize;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();

        var timedOut = await db.Requests
            .Where(x => (x.CurrentState == RequestStates.Pending || x.CurrentState == RequestStates.Processing || x.CurrentState == RequestStates.Paused) && x.AttemptTimeoutAt <= now)
            .OrderBy(x => x.AttemptTimeoutAt).Take(batch)
            .Select(x => new { x.CorrelationId, x.RequestId, x.Attempt, x.AttemptTimeoutAt, x.CurrentState }).ToListAsync(ct);
        // An attempt no worker has started, behind a backlog, is waiting its turn: its clock starts again instead.
        var waiting = timedOut.Where(t => t.CurrentState == RequestStates.Pending).Select(t => t.CorrelationId).ToList();
        if (waiting.Count > 0 && await queue.HasBacklogAsync(ct))
        {
            var timeout = timeouts.Value.ScheduleToCloseTimeout;
            var extended = await db.Requests
                .Where(x => waiting.Contains(x.CorrelationId) && x.CurrentState == RequestStates.Pending && x.AttemptTimeoutAt <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.AttemptTimeoutAt, now + timeout).SetProperty(x => x.Version, x => x.Version + 1), ct);
            QueuedAttemptsWaiting(logger, extended);
            timedOut.RemoveAll(t => t.CurrentState == RequestStates.Pending);
        }
        foreach (var t in timedOut)
        {
            await bus.Publish(new AttemptTimedOut
            {
                RequestId = t.RequestId,
                Attempt = t.Attempt,
                TimeoutAt = new DateTimeOffset(t.AttemptTimeoutAt!.Value, TimeSpan.Zero),
            }, ct);
        }

        var overdue = await db.Requests
            .Where(x => (x.CurrentState == RequestStates.Pending || x.CurrentState == RequestStates.Processing ||
                         x.CurrentState == RequestStates.RetryScheduled || x.CurrentState == RequestStates.Paused) && x.Deadline <= now)
            .OrderBy(x => x.Deadline).Take(batch)
            .Select(x => new { x.RequestId, x.Deadline }).ToListAsync(ct);
        foreach (var d in overdue)
            await bus.Publish(new DeadlineReached { RequestId = d.RequestId, Deadline = new DateTimeOffset(d.Deadline!.Value, TimeSpan.Zero) }, ct);

        var unstartedBefore = now - UnstartedGrace;
        var unstarted = await db.Requests
            .Where(x => x.CurrentState == null && x.CreatedAt <= unstartedBefore)
            .OrderBy(x => x.CreatedAt).Take(batch).ToListAsync(ct);
        foreach (var saga in unstarted)
            await bus.Publish(saga.Resubmission(), ct);

        if (timedOut.Count + overdue.Count + unstarted.Count > 0)
            Swept(logger, timedOut.Count, overdue.Count, unstarted.Count);

        await batches.RunAsync(ct);
    }

    [LoggerMessage(3106, LogLevel.Information,
        "Timer sweep: {Count} dispatched attempts wait behind a backlog in the attempt queue; their schedule-to-close clock starts again")]
    static partial void QueuedAttemptsWaiting(ILogger logger, int count);

    [LoggerMessage(3101, LogLevel.Information,
        "Timer sweep: {TimedOut} attempts timed out, {Overdue} deadlines passed, {Unstarted} submissions republished")]
    static partial void Swept(ILogger logger, int timedOut, int overdue, int unstarted);
}
