using System.Collections.Concurrent;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Orchestrator.Chaos;

/// <summary>
/// An independent subscriber of the outcome events, as any service would bind one: its own durable queue on the three
/// outcome exchanges, plain AMQP, acknowledging after it counted. It survives the broker restart (durable queue,
/// automatic recovery); a delivery seen twice is a raw duplicate, told apart from a second outcome by MessageId.
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
    readonly string _idPrefix;
    readonly ConcurrentDictionary<string, Tally> _byRequest = new(StringComparer.Ordinal);
    long _deliveries;
    long _unreadable;

    OutcomeCounter(IConnection connection, IChannel channel, string queue, string idPrefix)
    {
        _connection = connection;
        _channel = channel;
        _queue = queue;
        _idPrefix = idPrefix;
    }

    /// <summary>Every delivery of an outcome of this run, duplicates included.</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);

    /// <summary>Deliveries whose body was not a MassTransit envelope with a request id.</summary>
    public long Unreadable => Interlocked.Read(ref _unreadable);

    public IReadOnlyDictionary<string, Tally> ByRequest => _byRequest;

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
            counter.Count(delivery.Exchange, delivery.Body.Span);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
        return counter;
    }

    void Count(string exchange, ReadOnlySpan<byte> body)
    {
        string? requestId;
        string? messageId;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var envelope = JsonDocument.ParseValue(ref reader);
            messageId = envelope.RootElement.TryGetProperty("messageId", out var m) ? m.GetString() : null;
            requestId = envelope.RootElement.TryGetProperty("message", out var message) && message.TryGetProperty("requestId", out var r) ? r.GetString() : null;
        }
        catch (JsonException)
        {
            Interlocked.Increment(ref _unreadable);
            return;
        }
        if (requestId is null || messageId is null)
        {
            Interlocked.Increment(ref _unreadable);
            return;
        }
        if (!requestId.StartsWith(_idPrefix, StringComparison.Ordinal))
            return; // another run's or another test's outcome
        Interlocked.Increment(ref _deliveries);
        var kind = exchange[(exchange.LastIndexOf(':') + 1)..];
        _byRequest.GetOrAdd(requestId, _ => new Tally()).Add(messageId, kind);
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

    /// <summary>The outcome deliveries of one request: distinct MessageIds, outcome kinds, and the raw count.</summary>
    public sealed class Tally
    {
        readonly HashSet<string> _messageIds = new(StringComparer.Ordinal);
        readonly HashSet<string> _kinds = new(StringComparer.Ordinal);
        readonly Lock _gate = new();
        int _raw;

        public void Add(string messageId, string kind)
        {
            lock (_gate)
            {
                _messageIds.Add(messageId);
                _kinds.Add(kind);
                _raw++;
            }
        }

        public (int Distinct, int Raw, string Kinds) Snapshot()
        {
            lock (_gate)
                return (_messageIds.Count, _raw, string.Join("+", _kinds.Order(StringComparer.Ordinal)));
        }
    }
}
