using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Retries;
using Orchestrator.Scheduling;
using Orchestrator.Telemetry;

namespace Orchestrator.StateMachines.Activities;

/// <summary>
/// A circuit-open fast-fail: every breaker of the model's endpoints was open, so no call was made and no attempt is
/// spent (its number is given back). The same number goes again when the worker said a breaker half-opens (<see cref="RetryPlanner.DecideCircuitOpen"/>);
/// the budget and the attempt rows stay as they are (no row: no call), and only the deadline can end the request.
/// </summary>
public sealed class WaitForBreakerActivity(
    IOptions<RetryPolicyOptions> policy,
    TimeProvider clock,
    RetryWakeups wakeups,
    OrchestratorMetrics metrics,
    ILogger<WaitForBreakerActivity> logger)
    : MessageActivity<AttemptFailed>
{
    protected override void Run(InferenceRequestState saga, AttemptFailed message)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        saga.EndAttempt(now);
        saga.GiveBackAttempt();
        var failure = new AttemptFailure(message.Kind, message.Cause, message.Reason, message.RetryAfter);
        var decision = RetryPlanner.DecideCircuitOpen(policy.Value, failure, message.RetryAt?.UtcDateTime, now, saga.Deadline);
        metrics.AttemptDecided(AttemptOutcome.Failed, nameof(FailureKind.CircuitOpen));
        switch (decision)
        {
            case RetryAfterDelay paused when saga.PausedAt is not null:
                saga.WaitForBreakers(paused.DueAtUtc, message.Reason, paused: true);
                logger.RetryHeldByPause(saga.RequestId, message.Attempt, message.Reason);
                break;
            case RetryAfterDelay retry:
                saga.WaitForBreakers(retry.DueAtUtc, message.Reason, paused: false);
                wakeups.Due(retry.DueAtUtc);
                metrics.RetryScheduled(message.Cause ?? "circuit-open", retry.Delay.TotalMilliseconds);
                logger.WaitingForBreaker(saga.RequestId, message.Attempt, message.Reason, retry.DueAtUtc);
                break;
            case GiveUp giveUp:
                DecideRetryActivity.End(saga, giveUp, now, metrics, logger);
                break;
        }
    }
}
