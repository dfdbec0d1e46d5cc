using System.Diagnostics;
using MassTransit;

namespace Orchestrator.Bench.Floors;

/// <summary>
/// The MassTransit floor on the same broker: publish (confirms on, MassTransit's default) a small message shaped like a
/// submission to a receive endpoint whose consumer only counts. Measures from the first publish to the last message
/// consumed. The shape is a setting (<see cref="MassTransitFloorSettings"/>), so the floor can be swept for its best.
/// </summary>
public static class MassTransitFloor
{
    public static async Task<MassTransitFloorResult> RunAsync(Uri broker, int messages, MassTransitFloorSettings shape, TimeSpan timeout, CancellationToken cancel)
    {
        var endpoint = $"bench-floor-mt-{Environment.ProcessId}";
        var counter = new FloorCounter();
        var consumer = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(broker);
            cfg.PrefetchCount = shape.Prefetch;
            cfg.ReceiveEndpoint(endpoint, e =>
            {
                e.PrefetchCount = shape.Prefetch;
                if (shape.ConcurrencyLimit > 0)
                    e.ConcurrentMessageLimit = shape.ConcurrencyLimit;
                e.AutoDelete = true;
                e.Handler<FloorPing>(_ =>
                {
                    counter.Consumed();
                    return Task.CompletedTask;
                });
            });
        });
        // A publisher bus of its own, as a submitting service and the orchestrator are separate connections.
        var publisher = shape.SeparateBuses ? Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(broker)) : consumer;
        // Waiting for the start matters: a publish before the endpoint has bound its queue is routed nowhere.
        await consumer.StartAsync(cancel);
        if (shape.SeparateBuses)
            await publisher.StartAsync(cancel);
        try
        {
            async Task<double> Round(int count)
            {
                counter.Expect(count);
                var clock = Stopwatch.StartNew();
                var next = -1;
                async Task Publisher()
                {
                    var window = new Queue<Task>(shape.PublishesInFlight);
                    while (Interlocked.Increment(ref next) < count)
                    {
                        if (window.Count == shape.PublishesInFlight)
                            await window.Dequeue();
                        window.Enqueue(publisher.Publish(new FloorPing(Guid.NewGuid(), "sim", "hello world", DateTime.UtcNow), cancel));
                    }
                    await Task.WhenAll(window);
                }
                await Task.WhenAll(Enumerable.Range(0, shape.Publishers).Select(_ => Task.Run(Publisher, cancel)));
                if (await Task.WhenAny(counter.Done, Task.Delay(timeout, cancel)) != counter.Done)
                    throw new TimeoutException($"MassTransit floor: {counter.Count} of {count} messages consumed within {timeout.TotalSeconds} s");
                return clock.Elapsed.TotalSeconds;
            }

            await Round(Math.Min(500, messages));
            var seconds = await Round(messages);
            return new MassTransitFloorResult(messages, shape.PublishesInFlight, shape.Prefetch, Math.Round(seconds, 2), Math.Round(messages / seconds),
                shape.Publishers, shape.ConcurrencyLimit, shape.SeparateBuses);
        }
        finally
        {
            if (shape.SeparateBuses)
                await publisher.StopAsync(CancellationToken.None);
            await consumer.StopAsync(CancellationToken.None);
        }
    }

    sealed class FloorCounter
    {
        long _count;
        long _target;
        TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Done => _done.Task;
        public long Count => Interlocked.Read(ref _count);

        public void Expect(long target)
        {
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _count, 0);
            Interlocked.Exchange(ref _target, target);
        }

        public void Consumed()
        {
            if (Interlocked.Increment(ref _count) == Interlocked.Read(ref _target))
                _done.TrySetResult();
        }
    }
}

public sealed record MassTransitFloorResult(
    int Messages, int PublishesInFlight, int Prefetch, double Seconds, double MsgsPerSec, int Publishers = 1, int ConcurrencyLimit = 0, bool SeparateBuses = false);

/// <param name="Publishers">Publishing loops, each with <paramref name="PublishesInFlight"/> unconfirmed publishes.</param>
/// <param name="PublishesInFlight">Unconfirmed publishes per loop.</param>
/// <param name="Prefetch">The receive endpoint's prefetch.</param>
/// <param name="ConcurrencyLimit">The endpoint's concurrent message limit; 0 leaves MassTransit's default (the prefetch).</param>
/// <param name="SeparateBuses">Publish on a bus (connection) of its own rather than the consumer's.</param>
public sealed record MassTransitFloorSettings(int Publishers = 1, int PublishesInFlight = 100, int Prefetch = 50, int ConcurrencyLimit = 0, bool SeparateBuses = false);
