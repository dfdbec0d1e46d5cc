using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Telemetry;

namespace Orchestrator.StateMachines.Activities;

/// <summary>
/// The output gate on the current attempt's answer (<see cref="ReviewOptions"/>): an answer that passes finishes the
/// request (the machine moves it to Succeeded); a low-confidence one waits for an operator (AwaitingReview). The
/// verdict is written to <see cref="InferenceRequestState.Decision"/>, the decision path operators read.
/// </summary>
public sealed class ReviewGateActivity(
    IOptions<ReviewOptions> review,
    TimeProvider clock,
    OrchestratorMetrics metrics,
    ILogger<ReviewGateActivity> logger)
    : MessageActivity<AttemptSucceeded>
{
    protected override void Run(InferenceRequestState saga, AttemptSucceeded message)
    {
        saga.RecordSuccess(message);
        metrics.AttemptDecided(AttemptOutcome.Succeeded, null);
        var now = clock.GetUtcNow().UtcDateTime;
        if (review.Value.HoldReason(message.Confidence) is { } hold)
        {
            saga.Decision = $"held for review: {hold}";
            saga.HoldForReview(now);
            logger.HeldForReview(saga.RequestId, saga.Attempt, saga.Decision);
            return;
        }
        saga.Decision = $"passed: {review.Value.PassReason(message.Confidence)}";
        saga.Complete(now);
        metrics.Finished(RequestStates.Succeeded, (now - saga.CreatedAt).TotalMilliseconds);
        logger.RequestSucceeded(saga.RequestId, saga.Attempt);
    }
}
