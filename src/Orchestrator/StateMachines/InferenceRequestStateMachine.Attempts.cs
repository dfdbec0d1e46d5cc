using MassTransit;
using Orchestrator.Contracts;
using Orchestrator.StateMachines.Activities;

namespace Orchestrator.StateMachines;

public sealed partial class InferenceRequestStateMachine
{
    /// <summary>
    /// A worker's reports on the attempt in flight: it started, it answered, it failed, or it never answered (the
    /// sweep's timeout). A worker publishes its start and then its result, and the saga endpoint may consume them in
    /// either order, so a result is legal in Pending too, and in Paused for the attempt that ran when the request was
    /// paused. A report of another attempt is late (<see cref="Late(InferenceRequestState, AttemptStarted)"/>).
    /// </summary>
    void Attempts()
    {
        During(Pending,
            When(AttemptStarted)
                .IfElse(c => c.Saga.IsCurrentAttempt(c.Message.Attempt),
                    current => current
                        .Then(c => c.Saga.RecordStart(c.Message, Now, _timeouts.StartToCloseTimeout))
                        .TransitionTo(Processing),
                    late => late.Then(c => Late(c.Saga, c.Message))));
        During(Processing,
            When(AttemptStarted)
                .IfElse(c => c.Saga.IsCurrentAttempt(c.Message.Attempt),
                    again => again.Then(c => c.Saga.AttemptRow(c.Message.Attempt).WorkerId ??= c.Message.WorkerId),
                    late => late.Then(c => Late(c.Saga, c.Message))));
        // Paused while an attempt runs: the attempt goes on and is recorded; no new one is dispatched.
        During(Paused,
            When(AttemptStarted)
                .IfElse(c => c.Saga.IsCurrentAttempt(c.Message.Attempt),
                    current => current.Then(c => c.Saga.RecordStart(c.Message, Now, _timeouts.StartToCloseTimeout)),
                    late => late.Then(c => Late(c.Saga, c.Message))));

        During(Pending, Processing, Paused,
            When(AttemptSucceeded)
                .IfElse(c => c.Saga.IsCurrentAttempt(c.Message.Attempt),
                    current => current
                        .Activity(x => x.OfType<ReviewGateActivity>())
                        .IfElse(c => c.Saga.IsFinished,
                            passed => passed.TransitionTo(Succeeded).PublishOutcome(),
                            held => held.TransitionTo(AwaitingReview)),
                    late => late.Then(c => Late(c.Saga, c.Message))),
            When(AttemptFailed, c => ReportOf(c.Saga, c.Message) == FailureReport.Failed)
                .Then(c => c.Saga.RecordFailure(c.Message))
                .Activity(x => x.OfInstanceType<DecideRetryActivity>())
                .RetryOrFail(this),
            // Every breaker was open: no call was made, so this is no attempt. It waits for the half-open time and
            // goes again under the same number; only the deadline can end it.
            When(AttemptFailed, c => ReportOf(c.Saga, c.Message) == FailureReport.BreakersOpen)
                .Activity(x => x.OfType<WaitForBreakerActivity>())
                .RetryOrFail(this),
            // A worker that fails fast never reports a start, so once this attempt has started, a circuit-open
            // report for it belongs to an earlier dispatch of the same number (a redelivered message).
            When(AttemptFailed, c => ReportOf(c.Saga, c.Message) == FailureReport.Redelivered)
                .Then(c => Late(c.Saga, nameof(Contracts.AttemptFailed), c.Message.Attempt, result: null)),
            When(AttemptFailed, c => ReportOf(c.Saga, c.Message) == FailureReport.Late)
                .Then(c => Late(c.Saga, c.Message)),
            When(AttemptTimedOut)
                .IfElse(c => c.Saga.IsCurrentAttempt(c.Message.Attempt) && c.Saga.AttemptTimeoutAt <= Now,
                    due => due
                        .Then(c => c.Saga.RecordTimeout(c.Message.Attempt, Now))
                        .Activity(x => x.OfInstanceType<DecideRetryActivity>())
                        .RetryOrFail(this),
                    stale => stale.Then(c => StaleTimer(c.Saga))));
    }

    enum FailureReport { Failed, BreakersOpen, Redelivered, Late }

    /// <summary>What a worker's failure report is to the request: one answer per report, so its Whens exclude each other.</summary>
    static FailureReport ReportOf(InferenceRequestState saga, AttemptFailed message) =>
        !saga.IsCurrentAttempt(message.Attempt) ? FailureReport.Late
        : message.Kind != FailureKind.CircuitOpen ? FailureReport.Failed
        : saga.CurrentAttemptStarted ? FailureReport.Redelivered
        : FailureReport.BreakersOpen;
}
