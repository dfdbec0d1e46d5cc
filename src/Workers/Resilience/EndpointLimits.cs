using System.Collections.Concurrent;
using Orchestrator.Workers.Fleet;
using Orchestrator.Workers.Hosting;

namespace Orchestrator.Workers.Resilience;

/// <summary>
/// The limits on calls to each endpoint: at most <see cref="EndpointOptions.MaxInFlight"/> at once in this worker, and
/// this worker's share of the fleet's <see cref="EndpointOptions.RequestsPerMinute"/>. The share is the limit divided
/// by the live workers (<see cref="FleetPeers"/>), counted over a sliding window, so that the fleet together stays
/// within the limit without a shared store. A call that would pass a limit is refused with the time to come back;
/// callers wait for <see cref="WaitForChangeAsync"/> and ask again. Thread-safe.
/// </summary>
public sealed class EndpointLimits(FleetPeers peers, TimeProvider clock)
{
    readonly ConcurrentDictionary<string, Counters> _byEndpoint = new(StringComparer.Ordinal);
    TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Calls to <paramref name="endpoint"/> in flight in this worker.</summary>
    public int InFlight(string endpoint) => _byEndpoint.TryGetValue(endpoint, out var counters) ? Volatile.Read(ref counters.InFlight) : 0;

    /// <summary>
    /// Takes a slot for one call, or returns null with when to ask again and why. With no limits configured the slot
    /// only counts the call in flight.
    /// </summary>
    public IDisposable? TryAcquire(EndpointOptions endpoint, out DateTimeOffset retryAt, out string why)
    {
        var counters = _byEndpoint.GetOrAdd(endpoint.DisplayName, static _ => new Counters());
        var now = clock.GetUtcNow();
        retryAt = default;
        why = "";
        lock (counters)
        {
            if (endpoint.MaxInFlight is { } max && counters.InFlight >= max)
            {
                // A slot frees when a call ends; WaitForChangeAsync wakes then. This is only the latest time to look again.
                retryAt = now + TimeSpan.FromMilliseconds(250);
                why = $"{counters.InFlight} calls in flight (limit {max})";
                return null;
            }
            if (endpoint.RequestsPerMinute is { } perMinute)
            {
                if (now < peers.KnownFrom)
                {
                    retryAt = peers.KnownFrom;
                    why = "learning the fleet's size before sharing its rate limit";
                    return null;
                }
                var (allowed, window) = Share(perMinute, endpoint.RateLimitWindow, peers.Count);
                while (counters.Calls.TryPeek(out var oldest) && oldest <= now - window)
                    counters.Calls.Dequeue();
                if (counters.Calls.Count >= allowed)
                {
                    retryAt = counters.Calls.Peek() + window;
                    why = $"rate limit: this worker's share is {allowed} calls per {window.TotalSeconds:0.###} s";
                    return null;
                }
                counters.Calls.Enqueue(now);
            }
            counters.InFlight++;
        }
        return new Slot(this, counters);
    }

    /// <summary>
    /// This worker's share of a fleet-wide limit: <c>allowed</c> calls in any <c>window</c>. With fewer permits than
    /// workers, each worker gets one call per a window stretched to keep the fleet's average within the limit.
    /// </summary>
    public static (int Allowed, TimeSpan Window) Share(int perMinute, TimeSpan rateWindow, int workers)
    {
        var permits = perMinute * rateWindow.TotalMinutes;
        var share = permits / Math.Max(1, workers);
        return share >= 1 ? ((int)Math.Floor(share), rateWindow) : (1, rateWindow / share);
    }

    /// <summary>Completes when a call ends somewhere in this worker, or after <paramref name="atMost"/>.</summary>
    public async Task WaitForChangeAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        if (atMost <= TimeSpan.Zero)
            return;
        var released = Volatile.Read(ref _released).Task;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(atMost);
        try
        {
            await released.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The time to look again has come.
        }
    }

    void Release(Counters counters)
    {
        lock (counters)
            counters.InFlight--;
        Interlocked.Exchange(ref _released, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    sealed class Counters
    {
        public int InFlight;
        public readonly Queue<DateTimeOffset> Calls = new();
    }

    sealed class Slot(EndpointLimits owner, Counters counters) : IDisposable
    {
        int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                owner.Release(counters);
        }
    }
}
