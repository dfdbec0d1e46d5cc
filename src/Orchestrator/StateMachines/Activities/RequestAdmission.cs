using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Retries;
using Orchestrator.Submission;
using Orchestrator.Telemetry;

namespace Orchestrator.StateMachines.Activities;

/// <summary>
/// A new request's admission, the one path for both doors: the machine's Initially runs it as an activity for a
/// bus submission, and <see cref="InferenceRequestStateMachine.Admit"/> for the API's (which has already run the
/// <see cref="InputGate"/> and answered 400 itself). Refused input is finished at once (what the
/// <see cref="RequestReader"/> could not read, else what the gate refuses: <see cref="FailureKind.InvalidInput"/>;
/// a deadline already passed: <see cref="FailureKind.DeadlineExceeded"/>); accepted input gets attempt 1.
/// </summary>
public sealed class RequestAdmission(
    IOptions<ValidationOptions> validation,
    IOptions<RetryPolicyOptions> retryPolicy,
    IOptions<TimeoutOptions> timeouts,
    TimeProvider clock,
    ILogger<RequestAdmission> logger,
    IOptions<Callbacks.CallbackOptions>? callbacks = null)
    : MessageActivity<InferenceRequested>
{
    readonly Callbacks.CallbackOptions _callbacks = callbacks?.Value ?? new();

    /// <summary>The row of a new submission, before its first transition (state null).</summary>
    public InferenceRequestState NewRow(InferenceRequested message) =>
        InferenceRequestState.Create(message, clock.GetUtcNow().UtcDateTime, validation.Value.DefaultPriority);

    protected override void Run(InferenceRequestState saga, InferenceRequested message)
    {
        // A message the reader could not read whole is refused for that alone: the gate would only repeat it.
        var errors = RequestReader.ProblemsOf(message) is { Count: > 0 } unread ? unread
            : (IReadOnlyList<FieldError>)[.. InputGate.Check(message, validation.Value, retryPolicy.Value), .. Callbacks.CallbackGate.Check(message.Callback, _callbacks)];
        Stamp(saga);
        if (errors.Count > 0)
        {
            saga.Refuse(string.Join("; ", errors));
            logger.RequestRefused(saga.RequestId, saga.Reason!);
            return;
        }
        var now = clock.GetUtcNow();
        if (InputGate.DeadlinePassed(message, now) is { } late)
        {
            saga.GiveUp(FailureKind.DeadlineExceeded, $"{late.Message}; no attempt was made", now.UtcDateTime);
            logger.RequestRefused(saga.RequestId, saga.Reason!);
            return;
        }
        saga.Accept(timeouts.Value.ScheduleToCloseTimeout);
        logger.RequestAccepted(saga.RequestId, saga.Model);
    }

    /// <summary>Admits input already through the gate: attempt 1 and its timeout.</summary>
    public void AcceptChecked(InferenceRequestState saga)
    {
        Stamp(saga);
        saga.Accept(timeouts.Value.ScheduleToCloseTimeout);
    }

    void Stamp(InferenceRequestState saga) =>
        saga.Stamp(clock.GetUtcNow().UtcDateTime, timeouts.Value.DefaultDeadline, System.Diagnostics.Activity.Current?.Id);
}
