using System.Reflection;
using MassTransit;
using Orchestrator.ServiceDefaults;
using Orchestrator.Submission;

namespace Orchestrator.StateMachines;

/// <summary>The saga's endpoint: retry policy, outbox and per-request ordering.</summary>
public sealed class InferenceRequestStateDefinition : SagaDefinition<InferenceRequestState>
{
    public const string QueueName = "inference-requests";

    static readonly MethodInfo PartitionOne = typeof(InferenceRequestStateDefinition)
        .GetMethod(nameof(Partition), BindingFlags.NonPublic | BindingFlags.Static)!;

    readonly int _concurrency;
    readonly IReadOnlyList<PartitionedMessage> _partitioned;

    public InferenceRequestStateDefinition(SagaEndpointSettings settings, InferenceRequestStateMachine machine)
    {
        _concurrency = settings.ConcurrencyLimit;
        _partitioned = PartitionedMessages(machine);
        EndpointName = QueueName;
        ConcurrentMessageLimit = _concurrency;
    }

    /// <summary>
    /// Every message the machine consumes, with the getter of its request id: read from the machine's events, so
    /// an event added to the machine is partitioned without a line here. Throws when an event's message has no
    /// <c>string RequestId</c>, which would leave that request's messages unordered.
    /// </summary>
    internal static IReadOnlyList<PartitionedMessage> PartitionedMessages(InferenceRequestStateMachine machine) =>
    [
        .. machine.Events.Select(e =>
        {
            var type = e.GetType().GetInterfaces()
                .Single(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(Event<>))
                .GetGenericArguments()[0];
            var requestId = type.GetProperty("RequestId", typeof(string))?.GetMethod
                ?? throw new InvalidOperationException(
                    $"The saga event {e.Name} carries {type.Name}, which has no string RequestId to partition by");
            return new PartitionedMessage(e.Name, type, requestId);
        }),
    ];

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

        // One request's messages go one at a time through this process, so its own messages rarely conflict.
        var partition = endpointConfigurator.CreatePartitioner(_concurrency);
        foreach (var message in _partitioned)
            PartitionOne.MakeGenericMethod(message.Type).Invoke(null, [sagaConfigurator, partition, message.RequestId]);
    }

    static void Partition<T>(ISagaConfigurator<InferenceRequestState> saga, IPartitioner partition, MethodInfo requestId)
        where T : class
    {
        var key = requestId.CreateDelegate<Func<T, string?>>();
        saga.Message<T>(x => x.UsePartitioner(partition, m => key(m.Message) ?? ""));
    }

    /// <summary>A message the saga consumes, by the event that carries it, and the getter of its request id.</summary>
    public sealed record PartitionedMessage(string Event, Type Type, MethodInfo RequestId);
}
