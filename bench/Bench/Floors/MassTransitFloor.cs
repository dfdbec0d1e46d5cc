using System.Diagnostics;
using MassTransit;

namespace Orchestrator.Bench.Floors;

/// <summary>
/// The MassTransit floor on the same broker: publish (confirms on, MassTransit's default) a small message shaped like a
/// submission, 100 publishes in flight, to a receive endpoint with prefetch 50 whose consumer only counts. Measures from
/// the first publish to the last message consumed.
/// </summary>
public static class MassTransitFloor
{
    const int PublishesInFlight = 100;
    const int Prefetch = 50;

    public static async Task<MassTransitFloorResult> RunAsync(Uri broker, int messages, TimeSpan timeout, CancellationToken cancel)
    {
        var endpoint = $"bench-floor-mt-{Environment.ProcessId}";
        var counter = new FloorCounter();
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(broker);
            cfg.PrefetchCount = Prefetch;
            cfg.ReceiveEndpoint(endpoint, e =>
            {
                e.PrefetchCount = Prefetch;
                e.AutoDelete = true;
                e.Handler<FloorPing>(_ =>
                {
                    counter.Consumed();
                    return Task.CompletedTask;
                });
            });
        });
        // Waiting for the start matters: a publish before the endpoint has bound its queue is routed nowhere.
        await bus.StartAsync(cancel);
        try
        {
            async Task<double> Round(int count)
            {
                counter.Expect(count);
                var clock = Stopwatch.StartNew();
                var window = new Queue<Task>(PublishesInFlight);
                for (var i = 0; i < count; i++)
                {
                    if (window.Count == PublishesInFlight)
                        await window.Dequeue();
                    window.Enqueue(bus.Publish(new FloorPing(Guid.NewGuid(), "sim", "hello world", DateTime.UtcNow), cancel));
                }
                await Task.WhenAll(window);
                if (await Task.WhenAny(counter.Done, Task.Delay(timeout, cancel)) != counter.Done)
                    throw new TimeoutException($"MassTransit floor: {counter.Count} of {count} messages consumed within {timeout.TotalSeconds} s");
                return clock.Elapsed.TotalSeconds;
            }

            await Round(Math.Min(500, messages));
            var seconds = await Round(messages);
            return new MassTransitFloorResult(messages, PublishesInFlight, Prefetch, Math.Round(seconds, 2), Math.Round(messages / seconds));
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
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

public sealed record MassTransitFloorResult(int Messages, int PublishesInFlight, int Prefetch, double Seconds, double MsgsPerSec);
