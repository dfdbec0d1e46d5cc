using System.Reflection;
using MassTransit;
using Orchestrator.Contracts;
using Orchestrator.StateMachines;

namespace Orchestrator.IntegrationTests.Infrastructure;

/// <summary>
/// A publish endpoint whose broker takes the command but never confirms it: the publish is reported failed, as when
/// the wait for the confirm is given up (a memory alarm holds the message), and the command is delivered later,
/// when the test says so.
/// </summary>
public class UnconfirmedPublishEndpoint : DispatchProxy
{
    readonly List<InvokeModel> _held = [];

    public static UnconfirmedPublishEndpoint Create() => (UnconfirmedPublishEndpoint)(object)DispatchProxy.Create<IPublishEndpoint, UnconfirmedPublishEndpoint>();

    public IPublishEndpoint Endpoint => (IPublishEndpoint)(object)this;

    /// <summary>The commands taken and not yet delivered.</summary>
    public int Held
    {
        get
        {
            lock (_held)
                return _held.Count;
        }
    }

    /// <summary>Lets the held commands through to <paramref name="bus"/>, with their priority, as the broker would.</summary>
    public async Task DeliverAsync(IBus bus)
    {
        List<InvokeModel> held;
        lock (_held)
        {
            held = [.. _held];
            _held.Clear();
        }
        foreach (var invoke in held)
            await bus.Publish(invoke, p => p.TrySetPriority(InferenceRequestMessages.BrokerPriority(invoke.Priority)));
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (args is [InvokeModel invoke, ..])
        {
            lock (_held)
                _held.Add(invoke);
        }
        var unconfirmed = new OperationCanceledException("no publisher confirm came back (test double)");
        return targetMethod?.ReturnType == typeof(Task) ? Task.FromException(unconfirmed) : throw unconfirmed;
    }
}
