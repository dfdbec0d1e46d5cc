using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Orchestrator.Chaos;

/// <summary>
/// The <c>_error</c> queues of the product's endpoints: a snapshot of their depth before the run, a few deliberately
/// poisoned messages (unreadable JSON carrying a marker) sent to the saga's queue during it, and afterwards every
/// message that arrived since the snapshot, each of which must be one of those. The orchestrators' dead-letter
/// collectors drain those queues into the <c>dead_letters</c> table, so what they recorded counts too (each
/// distinct message once: a collector killed between its insert and its ack records a message twice).
/// </summary>
public sealed class ErrorQueues(string rabbitMq)
{
    public static readonly string[] Names = ["inference-requests_error", "invoke-model_error"];
    const string SagaQueue = "inference-requests";

    readonly ConnectionFactory _factory = new() { Uri = new Uri(rabbitMq) };

    public async Task<Dictionary<string, uint>> DepthsAsync()
    {
        await using var connection = await _factory.CreateConnectionAsync();
        var depths = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            // A queue that was never created has no messages; a failed passive declare closes the channel.
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                depths[name] = (await channel.QueueDeclarePassiveAsync(name)).MessageCount;
            }
            catch (OperationInterruptedException)
            {
                depths[name] = 0;
            }
        }
        return depths;
    }

    /// <summary>Sends <paramref name="count"/> unreadable messages, each naming <paramref name="marker"/>, to the saga's queue.</summary>
    public async Task PoisonAsync(string marker, int count)
    {
        await using var connection = await _factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString() };
        for (var i = 0; i < count; i++)
        {
            var body = Encoding.UTF8.GetBytes($"{{\"poison\": \"{marker}-{i}\", \"message\": {{ this is not json");
            await channel.BasicPublishAsync("", SagaQueue, mandatory: true, properties, body);
        }
    }

    /// <summary>
    /// Looks at every message in the error queues (taken and given back unacknowledged) and sorts the ones that came
    /// in since <paramref name="before"/>: deliberately poisoned ones (they carry <paramref name="marker"/>) and others.
    /// </summary>
    public async Task<(int Poisoned, int Unexpected, List<string> Samples)> InspectAsync(IReadOnlyDictionary<string, uint> before, string marker,
        string connectionString)
    {
        var poisoned = 0;
        var unexpected = 0;
        var samples = new List<string>();
        var recorded = new HashSet<string>(StringComparer.Ordinal);
        await using (var db = new Npgsql.NpgsqlConnection(connectionString))
        {
            await db.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT queue, reason, body FROM dead_letters ORDER BY id", db);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var body = Encoding.UTF8.GetString((byte[])reader[2]);
                if (!recorded.Add(body))
                    continue;
                if (body.Contains(marker, StringComparison.Ordinal))
                {
                    poisoned++;
                }
                else
                {
                    unexpected++;
                    if (samples.Count < 5)
                        samples.Add($"dead letter from {reader.GetString(0)}: {reader.GetString(1)} | {(body.Length > 300 ? body[..300] + "..." : body)}");
                }
            }
        }
        await using var connection = await _factory.CreateConnectionAsync();
        foreach (var name in Names)
        {
            await using var channel = await connection.CreateChannelAsync();
            uint depth;
            try
            {
                depth = (await channel.QueueDeclarePassiveAsync(name)).MessageCount;
            }
            catch (OperationInterruptedException)
            {
                continue;
            }
            var markedHere = 0;
            var recordedHere = 0;
            for (var i = 0; i < depth; i++)
            {
                var message = await channel.BasicGetAsync(name, autoAck: false);
                if (message is null)
                    break;
                var body = Encoding.UTF8.GetString(message.Body.Span);
                if (recorded.Contains(body))
                {
                    recordedHere++; // recorded and still here: the collector's ack was lost with its process; counted once
                    continue;
                }
                if (body.Contains(marker, StringComparison.Ordinal))
                {
                    markedHere++;
                }
                else if (samples.Count < 5)
                {
                    var reason = message.BasicProperties.Headers?.TryGetValue("MT-Fault-Message", out var r) == true && r is byte[] bytes ? Encoding.UTF8.GetString(bytes) : "no fault header";
                    samples.Add($"{name}: {reason} | {(body.Length > 300 ? body[..300] + "..." : body)}");
                }
            }
            // Closing the channel gives every message back to the queue: this is a look, not a purge.
            var arrived = (int)depth - (int)before.GetValueOrDefault(name);
            poisoned += markedHere;
            unexpected += Math.Max(0, arrived - markedHere - recordedHere);
        }
        return (poisoned, unexpected, samples);
    }
}
