using System.Text;
using MassTransit;
using MassTransit.SagaStateMachine;

namespace Orchestrator.Tests.StateMachines;

/// <summary>
/// The transitions a state machine declares, read from the machine itself (a visitor over its states, events and
/// activities, IfElse branches included), drawn as a Mermaid <c>stateDiagram-v2</c>. MassTransit's own GetGraph()
/// keeps one vertex per event for all states, so an event that moves A to X and B to Y would draw A to Y too.
/// </summary>
public static class StateDiagram
{
    public static string Mermaid<TSaga>(StateMachine<TSaga> machine)
        where TSaga : class, SagaStateMachineInstance
    {
        var visitor = new TransitionVisitor<TSaga>();
        machine.Accept(visitor);
        var edges = visitor.Transitions
            .Where(t => t.From != t.To)
            .GroupBy(t => (t.From, t.To))
            .Select(g => (g.Key.From, g.Key.To, Events: string.Join(", ", g.Select(t => t.Event).Distinct().Order(StringComparer.Ordinal))))
            .OrderBy(e => Rank(machine, e.From)).ThenBy(e => Rank(machine, e.To))
            .ToList();

        var text = new StringBuilder("stateDiagram-v2\n");
        foreach (var (from, to, events) in edges)
            text.Append($"    {Name(machine, from)} --> {Name(machine, to)} : {events}\n");
        var final = machine.States.Where(s => edges.Any(e => e.To == s.Name) && edges.All(e => e.From != s.Name && s != machine.Initial));
        foreach (var state in final.OrderBy(s => Rank(machine, s.Name)))
            text.Append($"    {state.Name} --> [*]\n");
        return text.ToString();
    }

    static string Name<TSaga>(StateMachine<TSaga> machine, string state)
        where TSaga : class, SagaStateMachineInstance => state == machine.Initial.Name ? "[*]" : state;

    static int Rank<TSaga>(StateMachine<TSaga> machine, string state)
        where TSaga : class, SagaStateMachineInstance => machine.States.Select(s => s.Name).ToList().IndexOf(state);

    sealed record Transition(string From, string Event, string To);

    sealed class TransitionVisitor<TSaga> : StateMachineVisitor
        where TSaga : class, SagaStateMachineInstance
    {
        State? _state;
        Event? _event;

        public List<Transition> Transitions { get; } = [];

        public void Visit(State state, Action<State> next)
        {
            _state = state;
            next(state);
        }

        public void Visit(Event @event, Action<Event> next)
        {
            _event = @event;
            next(@event);
        }

        public void Visit<TData>(Event<TData> @event, Action<Event<TData>> next)
            where TData : class
        {
            _event = @event;
            next(@event);
        }

        public void Visit(IStateMachineActivity activity) => Visit(activity, _ => { });

        public void Visit(IStateMachineActivity activity, Action<IStateMachineActivity> next)
        {
            if (activity is TransitionActivity<TSaga> transition && _state is not null && _event is not null)
                Transitions.Add(new Transition(_state.Name, _event.Name, transition.ToState.Name));
            next(activity);
        }

        public void Visit<T>(IBehavior<T> behavior)
            where T : class, SagaStateMachineInstance => Visit(behavior, _ => { });

        public void Visit<T>(IBehavior<T> behavior, Action<IBehavior<T>> next)
            where T : class, SagaStateMachineInstance => next(behavior);

        public void Visit<T, TData>(IBehavior<T, TData> behavior)
            where T : class, SagaStateMachineInstance
            where TData : class => Visit(behavior, _ => { });

        public void Visit<T, TData>(IBehavior<T, TData> behavior, Action<IBehavior<T, TData>> next)
            where T : class, SagaStateMachineInstance
            where TData : class => next(behavior);
    }
}
