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
        // No outbox and no message retry here, on purpose: AttemptStarted must leave before the model call (an
        // outbox would hold it back to the end), and re-running the consumer could call the model twice. The
        // consumer turns every fault of the endpoint into a published AttemptFailed instead of throwing.
    }
}
