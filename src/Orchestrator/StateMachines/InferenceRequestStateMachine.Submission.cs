using MassTransit;
using Orchestrator.StateMachines.Activities;

namespace Orchestrator.StateMachines;

public sealed partial class InferenceRequestStateMachine
{
    /// <summary>
    /// A new request: <see cref="RequestAdmission"/> (the API's path too) checks its input and stamps it. Refused
    /// input ends Failed at once; accepted input dispatches attempt 1, or holds it while its model cools down.
    /// </summary>
    void Submission()
    {
        Initially(
            When(InferenceRequested)
                .Activity(x => x.OfType<RequestAdmission>())
                .IfElse(c => c.Saga.IsFinished,
                    refused => refused.TransitionTo(Failed).PublishOutcome(),
                    accepted => accepted.TransitionTo(Pending).DispatchAttempt(this)));

        // The same request id again (a client retry, a redelivery): the saga that exists answers for it.
        DuringAny(Ignore(InferenceRequested));
    }
}
