using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Orchestrator.IntegrationTests.Infrastructure;

/// <summary>
/// An independent subscriber of an outcome exchange, as any service would bind one: a queue of its own, plain
/// AMQP. Records the MessageId of every outcome that mentions the request id.
/// </summary>
public sealed class OutcomeListener : IAsyncDisposable
{
    readonly IConnection _connection;
    readonly IChannel _channel;

    OutcomeListener(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public ConcurrentBag<string> MessageIds { get; } = [];

    /// <param name="requestId">Outcomes that mention it are recorded.</param>
    /// <param name="exchange">The outcome exchange to bind.</param>
    /// <param name="broker">The broker URL to connect with (a user of its own); the full-rights test user by default.</param>
    public static async Task<OutcomeListener> StartAsync(string requestId, string exchange = "Orchestrator.Contracts:InferenceSucceeded", string? broker = null)
    {
        var connection = await new ConnectionFactory { Uri = new Uri(broker ?? TestServers.RabbitMq) }.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        var listener = new OutcomeListener(connection, channel);
        // The exchange exists once anything was published to it; declaring it (as MassTransit does) is idempotent.
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
        var queue = (await channel.QueueDeclareAsync(exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, exchange, "");
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            var body = Encoding.UTF8.GetString(delivery.Body.Span);
            if (body.Contains(requestId, StringComparison.Ordinal))
            {
                using var envelope = JsonDocument.Parse(body);
                listener.MessageIds.Add(envelope.RootElement.GetProperty("messageId").GetString()!);
            }
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer);
        return listener;
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
