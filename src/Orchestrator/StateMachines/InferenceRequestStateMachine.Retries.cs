using MassTransit;
using Orchestrator.Telemetry;

namespace Orchestrator.StateMachines;

public sealed partial class InferenceRequestStateMachine
{
    /// <summary>
    /// The waits between attempts and the end of every wait: a retry's timer (a backoff, a circuit-open wait or a held
    /// dispatch, fired by the retry poller with the row's token) starts the next attempt; the deadline ends any request
    /// still running. Deciding a retry is <see cref="Activities.DecideRetryActivity"/>'s, in the attempt's own stage.
    /// </summary>
    void Retries()
    {
        During(RetryScheduled,
            When(RetryDue)
                .IfElse(c => c.Message.Token == c.Saga.RetryToken,
                    due => due
                        .Then(c =>
                        {
                            _metrics.TimerFired(c.Message.Source, (Now - c.Message.DueAt.UtcDateTime).TotalMilliseconds);
                            StartNextAttempt(c.Saga, c.Message.Source);
                        })
                        .TransitionTo(Pending)
                        .DispatchAttempt(this),
                    stale => stale.Then(c => StaleTimer(c.Saga))));

        During(Pending, Processing, RetryScheduled, Paused,
            When(DeadlineReached)
                .IfElse(c => c.Saga.Deadline <= Now,
                    passed => passed
                        .Then(c =>
                        {
                            c.Saga.ExceedDeadline(Now);
                            _logger.RequestFailed(c.Saga.RequestId, c.Saga.Attempt, c.Saga.FailureKind!, c.Saga.Reason!);
                        })
                        .TransitionTo(Failed)
                        .PublishOutcome(),
                    early => early.Then(c => StaleTimer(c.Saga))));
    }

    /// <summary>The next attempt starts now (<paramref name="source"/>: the timer's path, an operator, a resume).</summary>
    void StartNextAttempt(InferenceRequestState saga, string source)
    {
        if (saga.BeginNextAttempt(Now, _timeouts.ScheduleToCloseTimeout) is { } waited)
            _metrics.RetryWaited(waited.TotalMilliseconds);
        _logger.RetryStarted(saga.RequestId, saga.Attempt, source);
    }
}
