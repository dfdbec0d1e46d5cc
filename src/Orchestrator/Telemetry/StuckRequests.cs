using Microsoft.EntityFrameworkCore;
using Orchestrator.Persistence;
using Orchestrator.Scheduling;
using Orchestrator.StateMachines;

namespace Orchestrator.Telemetry;

/// <summary>
/// Requests whose state has not changed for longer than their own timers allow: a retry the poller should have
/// fired, an attempt the sweep should have timed out, a deadline that passed, a submission never picked up. There
/// should be none; one is a bug, to be seen at once (the <c>orchestrator_stuck_requests</c> gauge and
/// <c>GET /api/diagnostics/stuck</c>).
/// </summary>
public static class StuckRequests
{
    /// <summary>Slack beyond each timer's own repair delay before a request counts as stuck.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromSeconds(30);

    public static IQueryable<InferenceRequestState> Query(OrchestratorDbContext db, TimerOptions timers, DateTime nowUtc)
    {
        var retryLimit = nowUtc - timers.IdlePollInterval - Slack;
        var sweepLimit = nowUtc - timers.SweepInterval - Slack;
        var unstartedLimit = nowUtc - TimeSpan.FromSeconds(10) - timers.SweepInterval - Slack;
        return db.Requests.AsNoTracking().Where(x =>
            (x.CurrentState == RequestStates.RetryScheduled && (x.NextAttemptAt == null || x.NextAttemptAt < retryLimit)) ||
            ((x.CurrentState == RequestStates.Pending || x.CurrentState == RequestStates.Processing) && (x.AttemptTimeoutAt == null || x.AttemptTimeoutAt < sweepLimit)) ||
            (x.CurrentState == RequestStates.Paused && x.AttemptTimeoutAt < sweepLimit) ||
            ((x.CurrentState == RequestStates.Pending || x.CurrentState == RequestStates.Processing || x.CurrentState == RequestStates.RetryScheduled || x.CurrentState == RequestStates.Paused) && x.Deadline < sweepLimit) ||
            (x.CurrentState == null && x.CreatedAt < unstartedLimit));
    }

    /// <summary>Why the request counts as stuck, for people.</summary>
    public static string Why(InferenceRequestState saga, DateTime nowUtc) => saga.CurrentState switch
    {
        null => $"submitted {(nowUtc - saga.CreatedAt).TotalSeconds:0} s ago and never picked up by the saga",
        RequestStates.RetryScheduled when saga.NextAttemptAt is { } due => $"retry due {(nowUtc - due).TotalSeconds:0} s ago and not fired",
        RequestStates.RetryScheduled => "RetryScheduled without a due time",
        _ when saga.Deadline < nowUtc => $"deadline passed {(nowUtc - saga.Deadline!.Value).TotalSeconds:0} s ago in state {saga.CurrentState}",
        _ when saga.AttemptTimeoutAt is { } timeout => $"attempt {saga.Attempt} timed out {(nowUtc - timeout).TotalSeconds:0} s ago and was not retried",
        _ => $"{saga.CurrentState} without an attempt timeout",
    };
}
