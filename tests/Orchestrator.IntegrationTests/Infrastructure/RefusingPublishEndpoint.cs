using System.Reflection;
using MassTransit;

namespace Orchestrator.IntegrationTests.Infrastructure;

/// <summary>A publish endpoint whose broker takes nothing: every publish fails, as when the broker is unreachable.</summary>
public class RefusingPublishEndpoint : DispatchProxy
{
    public static IPublishEndpoint Create() => DispatchProxy.Create<IPublishEndpoint, RefusingPublishEndpoint>();

    /// <summary>A bus whose every call fails the same way (only publishing is expected of it).</summary>
    public static IBus CreateBus() => DispatchProxy.Create<IBus, RefusingPublishEndpoint>();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var refused = new MassTransitException("the broker refused the message (test double)");
        return targetMethod?.ReturnType == typeof(Task) ? Task.FromException(refused) : throw refused;
    }
}
