using MassTransit;
using Orchestrator.Contracts;
using Orchestrator.Telemetry;

namespace Orchestrator.StateMachines;

public sealed partial class InferenceRequestStateMachine
{
    /// <summary>
    /// Events that arrive after what they report was decided: results of an attempt that timed out or was superseded,
    /// redeliveries, timers of a wait that is over. Recorded (a late result on its attempt's row) and counted, never
    /// applied. In the states that run an attempt, <see cref="Attempts"/> tells late from current.
    /// </summary>
    void LateEvents()
    {
        // Once an attempt is decided and no new one runs, every result is late.
        During(RetryScheduled, AwaitingReview, Cancelled,
            When(AttemptSucceeded).Then(c => Late(c.Saga, c.Message)),
            When(AttemptFailed).Then(c => Late(c.Saga, c.Message)));

        // The very result that ended the request, consumed again: the message was redelivered or retried because
        // something failed after the transition committed (a crash, the broker away while the outbox published). The
        // outcome may never have left, so it is published again with the same MessageId: subscribers that deduplicate
        // by MessageId see it once, and nothing else changes. The opposite result of that attempt is illegal.
        During(Succeeded,
            When(AttemptSucceeded)
                .IfElse(c => c.Message.Attempt == c.Saga.Attempt,
                    again => again.Then(c => Republished(c.Saga)).PublishOutcome(),
                    late => late.Then(c => Late(c.Saga, c.Message))),
            When(AttemptFailed)
                .IfElse(c => c.Message.Attempt == c.Saga.Attempt,
                    contrary => contrary.Then(c => Illegal(c.Saga, nameof(Contracts.AttemptFailed))),
                    late => late.Then(c => Late(c.Saga, c.Message))));
        During(Failed,
            When(AttemptFailed)
                .IfElse(c => c.Message.Attempt == c.Saga.Attempt,
                    again => again.Then(c => Republished(c.Saga)).PublishOutcome(),
                    late => late.Then(c => Late(c.Saga, c.Message))),
            When(AttemptSucceeded)
                .IfElse(c => c.Message.Attempt == c.Saga.Attempt,
                    contrary => contrary.Then(c => Illegal(c.Saga, nameof(Contracts.AttemptSucceeded))),
                    late => late.Then(c => Late(c.Saga, c.Message))));

        // A worker's start consumed after its own result is a reordering, not an illegal event.
        During([RetryScheduled, AwaitingReview, Succeeded, Failed, Cancelled],
            Ignore(AttemptStarted));

        // Timers of a wait that is over. A retry's timer in a state that waits for no retry; the attempt timeout
        // while a retry waits (the attempt was decided); and, waiting on a person or finished, every timer.
        During(Pending, Processing, Paused,
            When(RetryDue).Then(c => StaleTimer(c.Saga)));
        During(RetryScheduled,
            Ignore(AttemptTimedOut));
        During(AwaitingReview, Succeeded, Failed, Cancelled,
            When(RetryDue).Then(c => StaleTimer(c.Saga)),
            When(AttemptTimedOut).Then(c => StaleTimer(c.Saga)),
            When(DeadlineReached).Then(c => StaleTimer(c.Saga)));
    }

    void Late(InferenceRequestState saga, AttemptStarted message) =>
        Late(saga, nameof(Contracts.AttemptStarted), message.Attempt, result: null);

    void Late(InferenceRequestState saga, AttemptSucceeded message) =>
        Late(saga, nameof(Contracts.AttemptSucceeded), message.Attempt, "Succeeded");

    void Late(InferenceRequestState saga, AttemptFailed message) =>
        Late(saga, nameof(Contracts.AttemptFailed), message.Attempt, $"Failed: {message.Reason}");

    void Late(InferenceRequestState saga, string eventName, int attempt, string? result)
    {
        _metrics.StaleEvent(eventName);
        _logger.StaleEvent(eventName, saga.RequestId, attempt, saga.Attempt);
        if (result is not null)
            saga.RecordLateResult(attempt, result);
    }

    void StaleTimer(InferenceRequestState saga) => _logger.StaleTimer(saga.RequestId, saga.CurrentState ?? "(none)");

    void Illegal(InferenceRequestState saga, string eventName)
    {
        var state = saga.CurrentState ?? "(none)";
        _metrics.IllegalEvent(eventName, state);
        _logger.IllegalEvent(eventName, saga.RequestId, state);
    }

    void Republished(InferenceRequestState saga)
    {
        _metrics.OutcomeRepublished(saga.CurrentState ?? "");
        _logger.OutcomeRepublished(saga.RequestId, saga.CurrentState ?? "");
    }
}
