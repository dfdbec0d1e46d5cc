using MassTransit;
using Orchestrator.Contracts;
using Orchestrator.StateMachines.Activities;
using Orchestrator.Submission;

namespace Orchestrator.StateMachines;

/// <summary>The activity chains the state machine repeats.</summary>
public static class InferenceRequestBinderExtensions
{
    /// <summary>
    /// Publishes the command for the saga's current attempt, unless every endpoint of its model is cooling down: then
    /// the attempt is held (<see cref="DispatchHold"/>: RetryScheduled with the hold's time and reason on the row) and
    /// dispatched when it ends. The command carries the request's priority, in the message and as the broker
    /// message's priority (the worker queue is a RabbitMQ priority queue); every dispatch, the first and each retry,
    /// reads it from the row. The in-memory transport has no message priority.
    /// </summary>
    public static EventActivityBinder<InferenceRequestState, T> DispatchAttempt<T>(this EventActivityBinder<InferenceRequestState, T> binder,
        InferenceRequestStateMachine machine)
        where T : class =>
        binder.Activity(x => x.OfInstanceType<DispatchHold>())
            .IfElse(c => c.Saga.IsHeld,
                held => held.TransitionTo(machine.RetryScheduled),
                go => go.PublishAsync(c => c.Init<InvokeModel>(c.Saga.Invocation()),
                    p => p.TrySetPriority(InferenceRequestMessages.BrokerPriority(p.Message.Priority))));

    /// <summary>
    /// After <see cref="DecideRetryActivity"/> or <see cref="WaitForBreakerActivity"/>: Failed with the outcome when it
    /// gave up, RetryScheduled when it set a timer (the retry poller fires it), and no transition at all when the
    /// request is paused (the failure stays on record and the retry waits for Resume).
    /// </summary>
    public static EventActivityBinder<InferenceRequestState, T> RetryOrFail<T>(this EventActivityBinder<InferenceRequestState, T> binder,
        InferenceRequestStateMachine machine)
        where T : class =>
        binder.IfElse(c => c.Saga.IsFinished,
            fail => fail.TransitionTo(machine.Failed).PublishOutcome(),
            open => open.If(c => c.Saga.RetryIsScheduled,
                retry => retry.TransitionTo(machine.RetryScheduled)));

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
}
