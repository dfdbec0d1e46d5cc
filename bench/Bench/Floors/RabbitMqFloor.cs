using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Orchestrator.Bench.Floors;

/// <summary>
/// The broker floor with the plain client: persistent 512-byte messages on a durable classic queue, publisher confirms
/// with up to 256 outstanding, a consumer on its own connection with manual acks and prefetch 50. Measures from the
/// first publish to the last ack, the consumer attached before publishing starts.
/// </summary>
public static class RabbitMqFloor
{
    const int Outstanding = 256;
    const ushort Prefetch = 50;
    const int BodyBytes = 512;

    public static async Task<RabbitMqFloorResult> RunAsync(Uri broker, int messages, TimeSpan timeout, CancellationToken cancel)
    {
        var queue = $"bench.floor.raw.{Environment.ProcessId}";
        var factory = new ConnectionFactory { Uri = broker, ClientProvidedName = "bench-floor-publisher" };
        await using var publisherConnection = await factory.CreateConnectionAsync(cancel);
        var options = new CreateChannelOptions(
            publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true,
            outstandingPublisherConfirmationsRateLimiter: new ThrottlingRateLimiter(Outstanding));
        await using var publisher = await publisherConnection.CreateChannelAsync(options, cancel);
        await publisher.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancel);
        try
        {
            var body = new byte[BodyBytes];
            new Random(7).NextBytes(body);
            var properties = new BasicProperties { Persistent = true, ContentType = "application/octet-stream" };

            factory.ClientProvidedName = "bench-floor-consumer";
            await using var consumerConnection = await factory.CreateConnectionAsync(cancel);
            await using var consumerChannel = await consumerConnection.CreateChannelAsync(cancellationToken: cancel);
            await consumerChannel.BasicQosAsync(0, Prefetch, false, cancel);
            long acked = 0;
            var target = 0L;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var consumer = new AsyncEventingBasicConsumer(consumerChannel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                if (Interlocked.Increment(ref acked) == Interlocked.Read(ref target))
                    done.TrySetResult();
            };
            await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer, cancel);

            async Task<double> Round(int count)
            {
                Interlocked.Exchange(ref acked, 0);
                Interlocked.Exchange(ref target, count);
                done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var clock = Stopwatch.StartNew();
                // Every publish completes on its broker confirm; the channel's limiter keeps 256 outstanding.
                var window = new Queue<Task>(Outstanding);
                for (var i = 0; i < count; i++)
                {
                    if (window.Count == Outstanding)
                        await window.Dequeue();
                    window.Enqueue(publisher.BasicPublishAsync(string.Empty, queue, mandatory: false, properties, body, cancel).AsTask());
                }
                while (window.Count > 0)
                    await window.Dequeue();
                if (await Task.WhenAny(done.Task, Task.Delay(timeout, cancel)) != done.Task)
                    throw new TimeoutException($"RabbitMQ floor: {Interlocked.Read(ref acked)} of {count} messages acked within {timeout.TotalSeconds} s");
                return clock.Elapsed.TotalSeconds;
            }

            await Round(Math.Min(2_000, messages));
            var seconds = await Round(messages);
            return new RabbitMqFloorResult(messages, Outstanding, Prefetch, BodyBytes, Math.Round(seconds, 2), Math.Round(messages / seconds));
        }
        finally
        {
            await publisher.QueueDeleteAsync(queue, cancellationToken: CancellationToken.None);
        }
    }
}

public sealed record RabbitMqFloorResult(int Messages, int OutstandingConfirms, int Prefetch, int BodyBytes, double Seconds, double MsgsPerSec);
