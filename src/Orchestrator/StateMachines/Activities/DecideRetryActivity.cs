using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Retries;
using Orchestrator.Scheduling;
using Orchestrator.Submission;
using Orchestrator.Telemetry;

namespace Orchestrator.StateMachines.Activities;

/// <summary>
/// Applies the retry policy (<see cref="RetryPlanner"/>) to the attempt that just failed, as its row records it (a
/// worker's failure or a timeout): schedules the retry (a due time and a fresh token on the row, the timer the
/// retry poller fires), gives up (the request is finished, Failed), or, while paused, keeps the failure on record
/// for Resume. The machine then moves on with <see cref="InferenceRequestBinderExtensions.RetryOrFail{T}"/>.
/// </summary>
public sealed class DecideRetryActivity(
    IOptions<RetryPolicyOptions> policy,
    TimeProvider clock,
    RetryWakeups wakeups,
    OrchestratorMetrics metrics,
    ILogger<DecideRetryActivity> logger)
    : SagaActivity
{
    protected override void Run(InferenceRequestState saga)
    {
        var row = saga.AttemptRow(saga.Attempt);
        var failure = new AttemptFailure(
            Enum.Parse<FailureKind>(row.FailureKind!),
            row.Cause,
            row.Reason ?? "",
            row.RetryAfterMs is { } retryAfter ? TimeSpan.FromMilliseconds(retryAfter) : null);
        metrics.AttemptDecided(row.Outcome, row.FailureKind);

        var now = clock.GetUtcNow().UtcDateTime;
        saga.EndAttempt(now);
        var decision = RetryPlanner.Decide(policy.Value, RequestPayload.FromJson(saga.Payload).RetryRequest(), History(saga, failure),
            failure, now, saga.Deadline, Random.Shared.NextDouble());
        switch (decision)
        {
            case RetryAfterDelay when saga.PausedAt is not null:
                saga.KeepFailureForResume(failure.Kind.ToString(), failure.Reason);
                logger.RetryHeldByPause(saga.RequestId, saga.Attempt, failure.Reason);
                break;
            case RetryAfterDelay retry:
                saga.ScheduleRetry(retry.Delay, retry.DueAtUtc, failure.Kind.ToString(), failure.Reason);
                wakeups.Due(retry.DueAtUtc);
                metrics.RetryScheduled(failure.Cause, retry.Delay.TotalMilliseconds);
                logger.RetryScheduled(saga.RequestId, saga.Attempt, (long)retry.Delay.TotalMilliseconds, failure.Kind.ToString(), failure.Reason);
                break;
            case GiveUp giveUp:
                End(saga, giveUp, now, metrics, logger);
                break;
        }
    }

    /// <summary>The planner gave up: the request ends Failed with its kind and reason (the machine moves it there).</summary>
    internal static void End(InferenceRequestState saga, GiveUp giveUp, DateTime now, OrchestratorMetrics metrics, ILogger logger)
    {
        saga.GiveUp(giveUp.Kind, giveUp.Reason, now);
        metrics.Finished(RequestStates.Failed, (now - saga.CreatedAt).TotalMilliseconds);
        logger.RequestFailed(saga.RequestId, saga.Attempt, saga.FailureKind!, saga.Reason!);
    }

    /// <summary>The budget counts from the current run: a Failed request an operator retried starts afresh.</summary>
    static RetryHistory History(InferenceRequestState saga, AttemptFailure failure) => new(
        saga.Attempt - saga.AttemptBase,
        Math.Max(1, saga.Attempts.Count(a => a.Attempt > saga.AttemptBase && a.Attempt <= saga.Attempt &&
                                             string.Equals(a.Cause, failure.Cause, StringComparison.OrdinalIgnoreCase))),
        saga.LastBackoffMs is { } last ? TimeSpan.FromMilliseconds(last) : null);
}
