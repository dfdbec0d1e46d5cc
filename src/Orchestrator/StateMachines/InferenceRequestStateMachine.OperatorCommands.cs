using MassTransit;
using Orchestrator.Contracts;
using Orchestrator.Telemetry;

namespace Orchestrator.StateMachines;

public sealed partial class InferenceRequestStateMachine
{
    /// <summary>
    /// What operators ask of a request (API, dashboard, CLI, bus): cancel, pause, resume, retry. A command that does not
    /// apply in the state the request reached meanwhile is logged, not an error.
    /// </summary>
    void OperatorCommands()
    {
        During([Pending, Processing, RetryScheduled, Paused, AwaitingReview],
            When(CancelInference)
                .Then(c =>
                {
                    c.Saga.Cancel(c.Message.Reason, Now);
                    _logger.RequestCancelled(c.Saga.RequestId, c.Saga.Reason!);
                })
                .TransitionTo(Cancelled)
                .PublishOutcome());
        During(Succeeded, Failed, Cancelled,
            When(CancelInference).Then(c => _logger.CancelIgnored(c.Saga.RequestId, c.Saga.CurrentState ?? "")));

        During(Pending, Processing, RetryScheduled,
            When(PauseInference)
                .Then(c =>
                {
                    _logger.RequestPaused(c.Saga.RequestId, c.Saga.CurrentState ?? "", Or(c.Message.Reason, "paused by an operator"));
                    c.Saga.Pause(Now);
                })
                .TransitionTo(Paused));

        // Resume: the attempt in flight is awaited again where it was; with none in flight, the next one starts now.
        During(Paused,
            When(ResumeInference)
                .Then(c =>
                {
                    _logger.RequestResumed(c.Saga.RequestId, Or(c.Message.Reason, "resumed by an operator"));
                    c.Saga.Resume(Now);
                })
                .IfElse(c => c.Saga.AttemptInFlight,
                    inFlight => inFlight.IfElse(c => c.Saga.CurrentAttemptStarted,
                        started => started.TransitionTo(Processing),
                        waiting => waiting.TransitionTo(Pending)),
                    decided => decided
                        .Then(c => StartNextAttempt(c.Saga, "resume"))
                        .TransitionTo(Pending)
                        .DispatchAttempt(this)));

        // Retry now: a scheduled retry without waiting out its backoff, or a Failed request as a new run (invalid
        // input would only fail again).
        During(RetryScheduled,
            When(RetryInference)
                .Then(c => StartNextAttempt(c.Saga, "operator"))
                .TransitionTo(Pending)
                .DispatchAttempt(this));
        During(Failed,
            When(RetryInference)
                .IfElse(c => c.Saga.FailureKind != nameof(FailureKind.InvalidInput),
                    reopen => reopen
                        .Then(c =>
                        {
                            c.Saga.Reopen(Now, _timeouts.DefaultDeadline, _timeouts.ScheduleToCloseTimeout);
                            _logger.RequestReopened(c.Saga.RequestId, c.Saga.Run, Or(c.Message.Reason, "retried by an operator"));
                        })
                        .TransitionTo(Pending)
                        .DispatchAttempt(this),
                    invalid => invalid.Then(c => _logger.OperatorCommandIgnored(nameof(RetryInference), c.Saga.RequestId, "Failed (InvalidInput)"))));

        During([Pending, Processing, AwaitingReview, Paused, Succeeded, Cancelled],
            When(RetryInference).Then(c => Ignored(c.Saga, nameof(RetryInference))));
        During([AwaitingReview, Paused, Succeeded, Failed, Cancelled],
            When(PauseInference).Then(c => Ignored(c.Saga, nameof(PauseInference))));
        During([Pending, Processing, RetryScheduled, AwaitingReview, Succeeded, Failed, Cancelled],
            When(ResumeInference).Then(c => Ignored(c.Saga, nameof(ResumeInference))));
    }

    void Ignored(InferenceRequestState saga, string command) =>
        _logger.OperatorCommandIgnored(command, saga.RequestId, saga.CurrentState ?? "");

    static string Or(string? text, string otherwise) => string.IsNullOrWhiteSpace(text) ? otherwise : text;
}
