using MassTransit;
using Orchestrator.Contracts;
using Orchestrator.Persistence.Sagas;
using Orchestrator.Scheduling;
using Orchestrator.Validation;

namespace Orchestrator.StateMachines;

/// <summary>Activity chains the state machine repeats.</summary>
public static class InferenceRequestBinderExtensions
{
    /// <summary>Publishes the command for the saga's current attempt.</summary>
    public static EventActivityBinder<InferenceRequestState, T> DispatchAttempt<T>(this EventActivityBinder<InferenceRequestState, T> binder)
        where T : class =>
        binder.PublishAsync(c =>
        {
            var payload = RequestPayload.FromJson(c.Saga.Payload);
            return c.Init<InvokeModel>(new InvokeModel
            {
                RequestId = c.Saga.RequestId,
                Attempt = c.Saga.Attempt,
                Model = c.Saga.Model,
                Messages = payload.Messages,
                Parameters = payload.Parameters,
                Deadline = c.Saga.Deadline is { } d ? new DateTimeOffset(d, TimeSpan.Zero) : null,
            });
        });

    /// <summary>
    /// Publishes the terminal outcome with a MessageId derived from the request id and generation, so that any
    /// re-publish of the same outcome carries the same MessageId.
    /// </summary>
    public static EventActivityBinder<InferenceRequestState, T> PublishOutcome<T>(this EventActivityBinder<InferenceRequestState, T> binder)
        where T : class =>
        binder.ThenAsync(c =>
        {
            var messageId = RequestIdentity.OutcomeMessageId(c.Saga.RequestId, c.Saga.Generation);
            return c.Saga.Outcome() switch
            {
                InferenceSucceeded ok => c.Publish(ok, p => p.MessageId = messageId),
                InferenceFailed ko => c.Publish(ko, p => p.MessageId = messageId),
                InferenceCancelled cancelled => c.Publish(cancelled, p => p.MessageId = messageId),
                _ => Task.CompletedTask,
            };
        });

    /// <summary>After a failed attempt was decided: RetryScheduled with its timer, or Failed with the outcome.</summary>
    internal static EventActivityBinder<InferenceRequestState, T> RetryOrFail<T>(this EventActivityBinder<InferenceRequestState, T> binder,
        InferenceRequestStateMachine machine, InferenceRequestStateMachine.Dependencies ctx)
        where T : class =>
        binder.IfElse(c => InferenceRequestStateMachine.RetryDecided(c.Saga),
            retry => retry.TransitionTo(machine.RetryScheduled).ScheduleRetryTimer(ctx.Timers),
            fail => fail.TransitionTo(machine.Failed).PublishOutcome());

    /// <summary>Creates the Quartz trigger for the saga's retry once the transition has committed.</summary>
    public static EventActivityBinder<InferenceRequestState, T> ScheduleRetryTimer<T>(this EventActivityBinder<InferenceRequestState, T> binder, IRetryTimers timers)
        where T : class =>
        binder.ThenAsync(c =>
        {
            var (requestId, correlationId, token, due) = (c.Saga.RequestId, c.Saga.CorrelationId, c.Saga.RetryToken!.Value, c.Saga.NextAttemptAt!.Value);
            return AfterCommit(c, ct => timers.ScheduleAsync(requestId, correlationId, token, due, ct));
        });

    /// <summary>Removes the saga's retry trigger once the transition has committed (a fire that slips through is stale anyway).</summary>
    public static EventActivityBinder<InferenceRequestState, T> CancelRetryTimer<T>(this EventActivityBinder<InferenceRequestState, T> binder, IRetryTimers timers)
        where T : class =>
        binder.ThenAsync(c =>
        {
            var correlationId = c.Saga.CorrelationId;
            return AfterCommit(c, ct => timers.CancelAsync(correlationId, ct));
        });

    // With our EF repository the action waits for COMMIT; a repository without transactions (the in-memory one
    // of the specs) has nothing to wait for.
    static Task AfterCommit<T>(BehaviorContext<InferenceRequestState, T> context, Func<CancellationToken, Task> action)
        where T : class
    {
        if (context.TryGetPayload<AfterCommitQueue>(out var queue))
        {
            queue.Add(action);
            return Task.CompletedTask;
        }
        return action(context.CancellationToken);
    }
}
