using MassTransit;
using Microsoft.Extensions.Options;
using Orchestrator.Workers.Hosting;

namespace Orchestrator.Workers.Consumers;

/// <summary>The worker queue: competing consumers across every worker process, bounded concurrency per process.</summary>
public sealed class InvokeModelConsumerDefinition : ConsumerDefinition<InvokeModelConsumer>
{
    public const string QueueName = "invoke-model";

    readonly WorkerOptions _options;

    public InvokeModelConsumerDefinition(IOptions<WorkerOptions> options)
    {
        _options = options.Value;
        EndpointName = QueueName;
        ConcurrentMessageLimit = _options.ConcurrencyLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<InvokeModelConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.PrefetchCount > 0 ? _options.PrefetchCount : _options.ConcurrencyLimit;
        // Publishes leave only once the attempt's outcome is known, never half of them.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
