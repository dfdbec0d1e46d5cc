using MassTransit;
using Orchestrator.Telemetry;

namespace Orchestrator.StateMachines;

public sealed partial class InferenceRequestStateMachine
{
    /// <summary>
    /// An answer the output gate held (<see cref="Activities.ReviewGateActivity"/>) waits for a person: approved, it
    /// succeeds; rejected, it fails, or, asked again, the next attempt runs. No timer of the request applies meanwhile:
    /// a review is not cut short by the deadline.
    /// </summary>
    void Review()
    {
        During(AwaitingReview,
            When(ApproveInference)
                .Then(c =>
                {
                    c.Saga.Approve(c.Message.Reviewer, c.Message.Note, Now);
                    _metrics.Finished(RequestStates.Succeeded, (c.Saga.UpdatedAt - c.Saga.CreatedAt).TotalMilliseconds);
                    _logger.ReviewDecided(c.Saga.RequestId, "approved", c.Message.Reviewer ?? "");
                })
                .TransitionTo(Succeeded)
                .PublishOutcome(),
            When(RejectInference)
                .IfElse(c => c.Message.Retry,
                    askAgain => askAgain
                        .Then(c =>
                        {
                            c.Saga.AskAgain(c.Message.Reviewer, c.Message.Reason, Now, _timeouts.ScheduleToCloseTimeout);
                            _logger.ReviewDecided(c.Saga.RequestId, "rejected, asked again", c.Message.Reviewer ?? "");
                        })
                        .TransitionTo(Pending)
                        .DispatchAttempt(this),
                    reject => reject
                        .Then(c =>
                        {
                            c.Saga.Reject(c.Message.Reviewer, c.Message.Reason, Now);
                            _metrics.Finished(RequestStates.Failed, (c.Saga.UpdatedAt - c.Saga.CreatedAt).TotalMilliseconds);
                            _logger.ReviewDecided(c.Saga.RequestId, "rejected", c.Message.Reviewer ?? "");
                        })
                        .TransitionTo(Failed)
                        .PublishOutcome()));
    }
}
