using MassTransit;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Workers.Consumers;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.Resilience;

namespace Orchestrator.Workers.Fleet;

/// <summary>
/// What the rest of the fleet says, on a queue of this worker's own: cooldowns (the endpoint is not called until they
/// end), heartbeats (the live workers a fleet-wide limit is shared among) and cancellations (a cancelled request's
/// attempt still queued is dropped without a call).
/// </summary>
public sealed class FleetSignalsConsumer(
    EndpointCooldowns cooldowns,
    FleetPeers peers,
    CancelledRequests cancelled,
    IOptions<WorkerOptions> options,
    ILogger<FleetSignalsConsumer> logger) : IConsumer<EndpointCoolingDown>, IConsumer<WorkerHeartbeat>, IConsumer<InferenceCancelled>
{
    public Task Consume(ConsumeContext<EndpointCoolingDown> context)
    {
        var m = context.Message;
        // This worker's own news, come back: it acted on it already (its breaker, or the cooldown it applied).
        if (string.Equals(m.WorkerId, options.Value.WorkerId, StringComparison.Ordinal))
            return Task.CompletedTask;
        if (cooldowns.Apply(m.Endpoint, m.Until, $"{m.Reason}, seen by {m.WorkerId}"))
            logger.CoolingDown(m.Endpoint, m.Until, m.Reason, m.WorkerId);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<InferenceCancelled> context)
    {
        cancelled.Heard(context.Message.RequestId);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<WorkerHeartbeat> context)
    {
        if (peers.Heard(context.Message))
            logger.FleetChanged(context.Message.WorkerId, context.Message.Stopping ? "left" : "joined", peers.Count);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Each process that hears the fleet has a queue of its own, removed when it stops: every such process gets every
/// signal, unlike the competing consumers of the work queue.
/// </summary>
public sealed class FleetSignalsConsumerDefinition : ConsumerDefinition<FleetSignalsConsumer>
{
    public FleetSignalsConsumerDefinition(IOptions<WorkerOptions> options)
    {
        Endpoint(e =>
        {
            e.Name = $"worker-fleet-{Sanitize(options.Value.WorkerId)}-{Guid.NewGuid().ToString("N")[..8]}";
            e.Temporary = true;
        });
    }

    static string Sanitize(string id) => new(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray());

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<FleetSignalsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // A missed signal is made good by the next one; a failed consume must not loop.
        endpointConfigurator.DiscardFaultedMessages();
    }
}
