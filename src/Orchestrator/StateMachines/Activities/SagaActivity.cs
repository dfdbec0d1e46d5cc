using MassTransit;

namespace Orchestrator.StateMachines.Activities;

/// <summary>
/// A step of the machine that needs services, for an event of any message type: resolved from the container
/// (<c>.Activity(x => x.OfInstanceType&lt;T&gt;())</c>), as MassTransit advises for behaviour with dependencies.
/// It changes the row; the machine then transitions on what the row says.
/// </summary>
public abstract class SagaActivity : IStateMachineActivity<InferenceRequestState>
{
    protected abstract void Run(InferenceRequestState saga);

    public Task Execute(BehaviorContext<InferenceRequestState> context, IBehavior<InferenceRequestState> next)
    {
        Run(context.Saga);
        return next.Execute(context);
    }

    public Task Execute<T>(BehaviorContext<InferenceRequestState, T> context, IBehavior<InferenceRequestState, T> next)
        where T : class
    {
        Run(context.Saga);
        return next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<InferenceRequestState, TException> context, IBehavior<InferenceRequestState> next)
        where TException : Exception =>
        next.Faulted(context);

    public Task Faulted<T, TException>(BehaviorExceptionContext<InferenceRequestState, T, TException> context, IBehavior<InferenceRequestState, T> next)
        where T : class
        where TException : Exception =>
        next.Faulted(context);

    public void Probe(ProbeContext context) => context.CreateScope(GetType().Name);

    public void Accept(StateMachineVisitor visitor) => visitor.Visit(this);
}
