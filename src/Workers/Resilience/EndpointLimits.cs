using System.Collections.Concurrent;
using Orchestrator.Workers.Fleet;
using Orchestrator.Workers.Hosting;

namespace Orchestrator.Workers.Resilience;

/// <summary>
/// The limits on calls to each endpoint: at most <see cref="EndpointOptions.MaxInFlight"/> at once in this worker, and
/// this worker's share of the fleet's <see cref="EndpointOptions.RequestsPerMinute"/>. The share is the limit divided
/// by the live workers (<see cref="FleetPeers"/>), counted over a sliding window, so that the fleet together stays
/// within the limit without a shared store. A call counts in the window from its start until a window after it
/// ended: the endpoint sees it arrive somewhere in between, so however long the call took, no window at the endpoint
/// holds more than the share. A call that would pass a limit is refused with the time to come back; callers wait for
/// <see cref="WaitForChangeAsync"/> and ask again. Thread-safe.
/// </summary>
public sealed class EndpointLimits(FleetPeers peers, TimeProvider clock)
{
    readonly ConcurrentDictionary<string, Counters> _byEndpoint = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int[]> _waitingByModel = new(StringComparer.Ordinal);
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
        CountedCall? counted = null;
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
                counters.Calls.RemoveAll(c => c.EndedAt <= now - window);
                if (counters.Calls.Count >= allowed)
                {
                    // The first ended call to leave the window; while every counted call is still running, when one ends.
                    var ended = counters.Calls.Where(c => c.EndedAt is not null).Select(c => c.EndedAt!.Value + window).DefaultIfEmpty(now + TimeSpan.FromMilliseconds(250));
                    retryAt = ended.Min();
                    why = $"rate limit: this worker's share is {allowed} calls per {window.TotalSeconds:0.###} s";
                    return null;
                }
                counted = new CountedCall();
                counters.Calls.Add(counted);
            }
            counters.InFlight++;
        }
        return new Slot(this, counters, counted);
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

    /// <summary>
    /// Registers an attempt of <paramref name="model"/> waiting for room at <paramref name="priority"/> until the returned
    /// scope is disposed. While it waits, attempts of the same model with a lower priority let it go first
    /// (<see cref="Outranked"/>): the broker hands work out by priority, and so does the wait inside the worker.
    /// </summary>
    public IDisposable Waiting(string model, int priority)
    {
        var level = Level(priority);
        var levels = _waitingByModel.GetOrAdd(model, static _ => new int[Contracts.RequestPriority.Highest + 1]);
        lock (levels)
            levels[level]++;
        return new WaitScope(this, levels, level);
    }

    /// <summary>How many attempts of <paramref name="model"/> wait in this worker for an endpoint's room.</summary>
    public int WaitingFor(string model)
    {
        if (!_waitingByModel.TryGetValue(model, out var levels))
            return 0;
        lock (levels)
            return levels.Sum();
    }

    /// <summary>An attempt of the same model with a higher priority is waiting for room.</summary>
    public bool Outranked(string model, int priority)
    {
        if (!_waitingByModel.TryGetValue(model, out var levels))
            return false;
        lock (levels)
        {
            for (var level = Level(priority) + 1; level < levels.Length; level++)
            {
                if (levels[level] > 0)
                    return true;
            }
        }
        return false;
    }

    static int Level(int priority) => Math.Clamp(priority, Contracts.RequestPriority.Lowest, Contracts.RequestPriority.Highest);

    void Pulse() => Interlocked.Exchange(ref _released, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes when a call ends somewhere in this worker (or a waiter leaves), or after <paramref name="atMost"/>.</summary>
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

    void Release(Counters counters, CountedCall? counted)
    {
        lock (counters)
        {
            counters.InFlight--;
            if (counted is not null)
                counted.EndedAt = clock.GetUtcNow();
        }
        Pulse();
    }

    sealed class WaitScope(EndpointLimits owner, int[] levels, int level) : IDisposable
    {
        int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0)
                return;
            lock (levels)
                levels[level]--;
            owner.Pulse();
        }
    }

    sealed class Counters
    {
        public int InFlight;

        /// <summary>The calls counted against the rate limit: running ones, and ended ones until a window after their end.</summary>
        public readonly List<CountedCall> Calls = [];
    }

    sealed class CountedCall
    {
        public DateTimeOffset? EndedAt;
    }

    sealed class Slot(EndpointLimits owner, Counters counters, CountedCall? counted) : IDisposable
    {
        int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                owner.Release(counters, counted);
        }
    }
}
