using MassTransit;
using Orchestrator.Contracts;
using Orchestrator.Validation;

namespace Orchestrator.StateMachines;

/// <summary>Activity chains the state machine repeats.</summary>
public static class InferenceRequestBinderExtensions
{
    /// <summary>
    /// Publishes the command for the saga's current attempt, unless every endpoint of its model is cooling down: then
    /// the attempt is held (RetryScheduled with the hold's time and reason on the row) and dispatched when it ends.
    /// The command carries the request's priority, in the message and as the broker message's priority (the worker
    /// queue is a RabbitMQ priority queue); every dispatch, the first and each retry, reads it from the saga row. The
    /// in-memory transport has no message priority.
    /// </summary>
    public static EventActivityBinder<InferenceRequestState, T> DispatchAttempt<T>(this EventActivityBinder<InferenceRequestState, T> binder,
        InferenceRequestStateMachine machine)
        where T : class =>
        binder.IfElse(c => machine.Hold.Apply(c.Saga),
            held => held.TransitionTo(machine.RetryScheduled),
            go => go.PublishAsync(c => c.Init<InvokeModel>(c.Saga.Invocation()), p => p.TrySetPriority(BrokerPriority(p.Message.Priority))));

    /// <summary>The command for the saga's current attempt, built from the row.</summary>
    public static InvokeModel Invocation(this InferenceRequestState saga)
    {
        var payload = RequestPayload.FromJson(saga.Payload);
        return new InvokeModel
        {
            RequestId = saga.RequestId,
            Attempt = saga.Attempt,
            Model = saga.Model,
            Messages = payload.Messages,
            Parameters = payload.Parameters,
            Priority = saga.Priority,
            Deadline = saga.Deadline is { } d ? new DateTimeOffset(d, TimeSpan.Zero) : null,
        };
    }

    /// <summary>The AMQP message priority of a request priority, clamped to the queue's levels.</summary>
    public static byte BrokerPriority(int priority) => (byte)Math.Clamp(priority, RequestPriority.Lowest, RequestPriority.Highest);

    /// <summary>
    /// Publishes the terminal outcome with a MessageId derived from the request id, generation and run, so that any
    /// re-publish of the same outcome carries the same MessageId.
    /// </summary>
    public static EventActivityBinder<InferenceRequestState, T> PublishOutcome<T>(this EventActivityBinder<InferenceRequestState, T> binder)
        where T : class =>
        binder.ThenAsync(c =>
        {
            var messageId = RequestIdentity.OutcomeMessageId(c.Saga.RequestId, c.Saga.Generation, c.Saga.Run);
            return c.Saga.Outcome() switch
            {
                InferenceSucceeded ok => c.Publish(ok, p => p.MessageId = messageId),
                InferenceFailed ko => c.Publish(ko, p => p.MessageId = messageId),
                InferenceCancelled cancelled => c.Publish(cancelled, p => p.MessageId = messageId),
                _ => Task.CompletedTask,
            };
        });

    /// <summary>
    /// After a failed attempt was decided: RetryScheduled (its due time and token on the row are the timer the
    /// retry poller fires), Failed with the outcome, or (paused) no transition at all.
    /// </summary>
    internal static EventActivityBinder<InferenceRequestState, T> RetryOrFail<T>(this EventActivityBinder<InferenceRequestState, T> binder,
        InferenceRequestStateMachine machine)
        where T : class =>
        binder.IfElse(c => InferenceRequestStateMachine.RetryDecided(c.Saga),
            retry => retry.TransitionTo(machine.RetryScheduled),
            // Neither a retry nor an end: a paused request keeps the failure on record and waits for Resume.
            other => other.IfElse(c => c.Saga.CompletedAt is null,
                held => held,
                fail => fail.TransitionTo(machine.Failed).PublishOutcome()));
}
