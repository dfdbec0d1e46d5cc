using MassTransit;
using Orchestrator.Contracts;
using Orchestrator.ServiceDefaults;
using Orchestrator.Submission;

namespace Orchestrator.StateMachines;

/// <summary>The saga's endpoint: retry policy, outbox and per-request ordering.</summary>
public sealed class InferenceRequestStateDefinition : SagaDefinition<InferenceRequestState>
{
    public const string QueueName = "inference-requests";

    readonly int _concurrency;

    public InferenceRequestStateDefinition(SagaEndpointSettings settings)
    {
        _concurrency = settings.ConcurrencyLimit;
        EndpointName = QueueName;
        ConcurrentMessageLimit = _concurrency;
    }

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator,
        ISagaConfigurator<InferenceRequestState> sagaConfigurator, IRegistrationContext context)
    {
        // The broker's default prefetch (twice the core count) starves a 64-wide consumer on a small box.
        endpointConfigurator.PrefetchCount = Math.Max(_concurrency, 16);

        // Requests are read as the API reads them, and a message that names no request says why in the _error queue.
        endpointConfigurator.UseRequestMessageDeserializer();

        // Optimistic-concurrency conflicts and transient database errors are retried in-process, for about a
        // minute in all, so a database restart sends nothing to the _error queue. A message no saga can own is not,
        // nor one that came through another type's exchange (PublishedTypeFilter).
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Ignore<UncorrelatableMessageException>();
            r.Ignore<MisroutedMessageException>();
            r.Exponential(18, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
        });
        // Inside the retry: publishes of a try that rolled back are dropped with it.
        endpointConfigurator.UseInMemoryOutbox(context);

        // One request's events go one at a time through this process, so its own events rarely conflict.
        var partition = endpointConfigurator.CreatePartitioner(_concurrency);
        sagaConfigurator.Message<InferenceRequested>(x => x.UsePartitioner(partition, m => m.Message.RequestId ?? ""));
        sagaConfigurator.Message<AttemptStarted>(x => x.UsePartitioner(partition, m => m.Message.RequestId ?? ""));
        sagaConfigurator.Message<AttemptSucceeded>(x => x.UsePartitioner(partition, m => m.Message.RequestId ?? ""));
        sagaConfigurator.Message<AttemptFailed>(x => x.UsePartitioner(partition, m => m.Message.RequestId ?? ""));
        sagaConfigurator.Message<RetryDue>(x => x.UsePartitioner(partition, m => m.Message.RequestId ?? ""));
        sagaConfigurator.Message<AttemptTimedOut>(x => x.UsePartitioner(partition, m => m.Message.RequestId ?? ""));
        sagaConfigurator.Message<DeadlineReached>(x => x.UsePartitioner(partition, m => m.Message.RequestId ?? ""));
        sagaConfigurator.Message<CancelInference>(x => x.UsePartitioner(partition, m => m.Message.RequestId ?? ""));
        sagaConfigurator.Message<ApproveInference>(x => x.UsePartitioner(partition, m => m.Message.RequestId ?? ""));
        sagaConfigurator.Message<RejectInference>(x => x.UsePartitioner(partition, m => m.Message.RequestId ?? ""));
    }
}
