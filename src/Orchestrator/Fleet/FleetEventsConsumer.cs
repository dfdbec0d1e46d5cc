using MassTransit;
using Orchestrator.Contracts;

namespace Orchestrator.Fleet;

/// <summary>Feeds <see cref="FleetView"/> from the workers' heartbeats and cooldowns.</summary>
public sealed class FleetEventsConsumer(FleetView fleet) : IConsumer<EndpointCoolingDown>, IConsumer<WorkerHeartbeat>
{
    public Task Consume(ConsumeContext<EndpointCoolingDown> context)
    {
        fleet.Heard(context.Message);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<WorkerHeartbeat> context)
    {
        fleet.Heard(context.Message);
        return Task.CompletedTask;
    }
}

/// <summary>A queue of this orchestrator's own, removed when it stops: every orchestrator hears every worker.</summary>
public sealed class FleetEventsConsumerDefinition : ConsumerDefinition<FleetEventsConsumer>
{
    public FleetEventsConsumerDefinition()
    {
        Endpoint(e =>
        {
            e.Name = $"orchestrator-fleet-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
            e.Temporary = true;
        });
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<FleetEventsConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.DiscardFaultedMessages();
}
