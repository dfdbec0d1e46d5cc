using MassTransit;

namespace Orchestrator.StateMachines.Activities;

/// <summary>
/// A step of the machine that needs services and the event's message: resolved from the container
/// (<c>.Activity(x => x.OfType&lt;T&gt;())</c>). It changes the row; the machine then transitions on what the row says.
/// </summary>
public abstract class MessageActivity<TMessage> : IStateMachineActivity<InferenceRequestState, TMessage>
    where TMessage : class
{
    protected abstract void Run(InferenceRequestState saga, TMessage message);

    public Task Execute(BehaviorContext<InferenceRequestState, TMessage> context, IBehavior<InferenceRequestState, TMessage> next)
    {
        Run(context.Saga, context.Message);
        return next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<InferenceRequestState, TMessage, TException> context,
        IBehavior<InferenceRequestState, TMessage> next)
        where TException : Exception =>
        next.Faulted(context);

    public void Probe(ProbeContext context) => context.CreateScope(GetType().Name);

    public void Accept(StateMachineVisitor visitor) => visitor.Visit(this);
}
