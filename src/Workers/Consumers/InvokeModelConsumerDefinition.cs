using MassTransit;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Workers.Hosting;

namespace Orchestrator.Workers.Consumers;

/// <summary>
/// The worker queue: competing consumers across every worker process, bounded concurrency per process. On RabbitMQ it
/// is a priority queue (<c>x-max-priority</c> 5): while the workers are saturated, waiting invokes of a higher request
/// priority are handed out first.
/// </summary>
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
        // Prefetch = the concurrency limit by default: every invoke the broker hands out is one the worker starts at
        // once, so the backlog waits in the broker, where the priority queue orders it. A larger prefetch would park
        // invokes in the worker's buffer in arrival order, where a later urgent one cannot overtake them.
        endpointConfigurator.PrefetchCount = _options.PrefetchCount > 0 ? _options.PrefetchCount : _options.ConcurrencyLimit;
        // RabbitMQ refuses to redeclare an existing queue with other arguments (PRECONDITION_FAILED): a deployment
        // whose invoke-model queue predates priorities deletes it once on upgrade (docs/operations.md, "Upgrading").
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.EnablePriority(RequestPriority.Highest);
        // No outbox and no message retry here, on purpose: AttemptStarted must leave while the model call runs (an
        // outbox would hold it back to the end), and re-running the consumer could call the model twice. The
        // consumer turns every fault of the endpoint into a published AttemptFailed instead of throwing.
    }
}
