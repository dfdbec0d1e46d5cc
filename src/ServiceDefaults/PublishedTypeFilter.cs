using MassTransit;

namespace Orchestrator.ServiceDefaults;

/// <summary>
/// On RabbitMQ, takes a message only as the type of the exchange it was published to. The broker's permissions say who
/// may publish each type (scripts/broker-roles.sh), but MassTransit dispatches by the type the envelope names: without
/// this check, a service allowed to publish <c>InferenceRequested</c> could put an <c>AttemptSucceeded</c> envelope
/// on that exchange, the saga queue would take it as a worker's answer, and the orchestrator would publish a real
/// <c>InferenceSucceeded</c> with a forged output. A message sent to the queue itself (its own exchange, or the default
/// exchange) is taken as it is: only the endpoint's owners may write there.
/// </summary>
public sealed class PublishedTypeFilter(string queueName) : IFilter<ConsumeContext>
{
    const string UrnPrefix = "urn:message:";

    public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        if (context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var delivery) &&
            Mismatch(delivery.Exchange, queueName, context.SupportedMessageTypes) is { } type)
        {
            throw new MisroutedMessageException(
                $"a message of type {type} arrived through the exchange {delivery.Exchange}, which carries {delivery.Exchange} " +
                "only: publish each message to its own type's exchange (the broker grants each type to its publishers)");
        }
        return next.Send(context);
    }

    /// <summary>
    /// The first message type the envelope names that the exchange does not carry, or null when every one matches or
    /// the message was sent to the queue directly.
    /// </summary>
    public static string? Mismatch(string exchange, string queueName, IEnumerable<string> messageTypes)
    {
        if (exchange.Length == 0 || string.Equals(exchange, queueName, StringComparison.Ordinal))
            return null;
        foreach (var urn in messageTypes)
        {
            var name = urn.StartsWith(UrnPrefix, StringComparison.Ordinal) ? urn[UrnPrefix.Length..] : urn;
            if (!string.Equals(name, exchange, StringComparison.Ordinal))
                return name;
        }
        return null;
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("publishedType");
}
