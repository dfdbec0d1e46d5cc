using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Orchestrator.Chaos;

/// <summary>
/// An independent subscriber of the outcome events, as any service would bind one: its own durable queue on the three
/// outcome exchanges, plain AMQP, acknowledging after it counted. It survives the broker restart (durable queue,
/// automatic recovery); <see cref="OutcomeTally"/> tells a redelivery from a second, different outcome.
/// </summary>
public sealed class OutcomeCounter : IAsyncDisposable
{
    public static readonly string[] Exchanges =
    [
        "Orchestrator.Contracts:InferenceSucceeded",
        "Orchestrator.Contracts:InferenceFailed",
        "Orchestrator.Contracts:InferenceCancelled",
    ];

    readonly IConnection _connection;
    readonly IChannel _channel;
    readonly string _queue;

    OutcomeCounter(IConnection connection, IChannel channel, string queue, string idPrefix)
    {
        _connection = connection;
        _channel = channel;
        _queue = queue;
        Tally = new OutcomeTally(idPrefix);
    }

    /// <summary>What was received so far.</summary>
    public OutcomeTally Tally { get; }

    public static async Task<OutcomeCounter> StartAsync(string rabbitMq, string runTag, string idPrefix)
    {
        var factory = new ConnectionFactory
        {
            Uri = new Uri(rabbitMq),
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(1),
            ClientProvidedName = $"chaos-outcomes-{runTag}",
        };
        var connection = await factory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        var queue = $"chaos-outcomes-{runTag}";
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        foreach (var exchange in Exchanges)
        {
            // As MassTransit declares them; declaring an existing exchange the same way is a no-op.
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
            await channel.QueueBindAsync(queue, exchange, "");
        }
        await channel.BasicQosAsync(0, 200, false);
        var counter = new OutcomeCounter(connection, channel, queue, idPrefix);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            counter.Tally.Record(delivery.Exchange, delivery.Body.Span);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
        return counter;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _channel.QueueDeleteAsync(_queue);
        }
        catch (Exception exception) when (exception is RabbitMQ.Client.Exceptions.RabbitMQClientException or RabbitMQ.Client.Exceptions.OperationInterruptedException or IOException)
        {
            await Console.Error.WriteLineAsync($"[chaos] could not delete the queue {_queue}: {exception.Message}");
        }
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
