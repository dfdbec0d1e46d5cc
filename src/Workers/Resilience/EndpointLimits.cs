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
/// holds more than the share. The fleet's <see cref="EndpointOptions.TokensPerMinute"/> is shared the same way: a call
/// reserves its <see cref="TokenEstimate"/> from its start, corrected by <see cref="EndpointSlot.Settle"/> to what it
/// used, until a window after its end. A call that would pass a limit is refused with the time to come back; callers wait for
/// <see cref="WaitForChangeAsync"/> and ask again. Thread-safe.
/// </summary>
public sealed class EndpointLimits(FleetPeers peers, TimeProvider clock)
{
    readonly ConcurrentDictionary<string, Counters> _byEndpoint = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int[]> _waitingByModel = new(StringComparer.Ordinal);
    TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Calls to <paramref name="endpoint"/> in flight in this worker.</summary>
    public int InFlight(string endpoint) => _byEndpoint.TryGetValue(endpoint, out var counters) ? Volatile.Read(ref counters.InFlight) : 0;

    /// <summary>A slot for a call that reserves no tokens (see the overload with a <see cref="TokenEstimate"/>).</summary>
    public EndpointSlot? TryAcquire(EndpointOptions endpoint, out DateTimeOffset retryAt, out string why) => TryAcquire(endpoint, default, out retryAt, out why);

    /// <summary>
    /// Takes a slot for one call that reserves <paramref name="tokens"/> against the endpoint's token limit, or returns
    /// null with when to ask again and why. With no limits configured the slot only counts the call in flight.
    /// </summary>
    public EndpointSlot? TryAcquire(EndpointOptions endpoint, TokenEstimate tokens, out DateTimeOffset retryAt, out string why)
    {
        var counters = _byEndpoint.GetOrAdd(endpoint.DisplayName, static _ => new Counters());
        var now = clock.GetUtcNow();
        retryAt = default;
        why = "";
        CountedCall? counted = null;
        TokenReservation? reserved = null;
        lock (counters)
        {
            if (endpoint.MaxInFlight is { } max && counters.InFlight >= max)
            {
                // A slot frees when a call ends; WaitForChangeAsync wakes then. This is only the latest time to look again.
                retryAt = now + TimeSpan.FromMilliseconds(250);
                why = $"{counters.InFlight} calls in flight (limit {max})";
                return null;
            }
            if ((endpoint.RequestsPerMinute is not null || endpoint.TokensPerMinute is not null) && now < peers.KnownFrom)
            {
                retryAt = peers.KnownFrom;
                why = "learning the fleet's size before sharing its rate limit";
                return null;
            }
            if (endpoint.RequestsPerMinute is { } perMinute)
            {
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
            }
            if (endpoint.TokensPerMinute is { } tokensPerMinute)
            {
                var share = TokenShare(tokensPerMinute, endpoint.RateLimitWindow, peers.Count);
                counters.Reservations.RemoveAll(r => r.FreedAt <= now);
                var held = counters.Reservations.Sum(r => r.Tokens);
                // A call bigger than the whole share goes alone, and holds the window longer (TokenReservation.FreedAt).
                if (held + tokens.Total > share && counters.Reservations.Count > 0)
                {
                    retryAt = TokensFreeAt(counters.Reservations, held, tokens.Total, share, now);
                    why = $"token limit: this worker's share is {share:0} tokens per {endpoint.RateLimitWindow.TotalSeconds:0.###} s, " +
                          $"{held} reserved, this call needs {tokens.Total}";
                    return null;
                }
                reserved = new TokenReservation(tokens, share, endpoint.RateLimitWindow);
                counters.Reservations.Add(reserved);
            }
            if (counted is not null)
                counters.Calls.Add(counted);
            counters.InFlight++;
        }
        return new EndpointSlot(this, counters, counted, reserved);
    }

    /// <summary>
    /// This worker's share of a fleet-wide token limit: tokens in any window of <paramref name="rateWindow"/>. Unlike
    /// calls, it is not rounded: tokens come in any amount.
    /// </summary>
    public static double TokenShare(int tokensPerMinute, TimeSpan rateWindow, int workers) =>
        tokensPerMinute * rateWindow.TotalMinutes / Math.Max(1, workers);

    /// <summary>When enough reserved tokens have left the window for <paramref name="need"/> more; soon, if only running calls hold them.</summary>
    static DateTimeOffset TokensFreeAt(List<TokenReservation> reservations, long held, long need, double share, DateTimeOffset now)
    {
        foreach (var reservation in reservations.Where(r => r.FreedAt != DateTimeOffset.MaxValue).OrderBy(r => r.FreedAt))
        {
            held -= reservation.Tokens;
            if (held + need <= share || held == 0)
                return reservation.FreedAt;
        }
        // Running calls hold the rest: one ending wakes WaitForChangeAsync; this is only the latest time to look again.
        return now + TimeSpan.FromMilliseconds(250);
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

    internal void Settle(Counters counters, TokenReservation reservation, long tokens)
    {
        lock (counters)
            reservation.Tokens = Math.Max(0, tokens);
        // Less reserved than estimated makes room now.
        Pulse();
    }

    internal void Release(Counters counters, CountedCall? counted, TokenReservation? reserved)
    {
        lock (counters)
        {
            counters.InFlight--;
            var now = clock.GetUtcNow();
            if (counted is not null)
                counted.EndedAt = now;
            if (reserved is not null)
                reserved.EndedAt = now;
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

    internal sealed class Counters
    {
        public int InFlight;

        /// <summary>The calls counted against the rate limit: running ones, and ended ones until a window after their end.</summary>
        public readonly List<CountedCall> Calls = [];

        /// <summary>The calls' tokens counted against the token limit: running ones, and ended ones until <see cref="TokenReservation.FreedAt"/>.</summary>
        public readonly List<TokenReservation> Reservations = [];
    }

    internal sealed class CountedCall
    {
        public DateTimeOffset? EndedAt;
    }

    /// <summary>
    /// One call's tokens: the estimate while it runs, then what the answer reported. Like a counted call it stays in the
    /// window until a window after its end; a call bigger than the share stays proportionally longer, so that the
    /// worker's average stays within its share (as <see cref="Share"/> stretches the window for calls).
    /// </summary>
    internal sealed class TokenReservation(TokenEstimate estimate, double share, TimeSpan window)
    {
        public long Tokens = estimate.Total;
        public DateTimeOffset? EndedAt;

        public TokenEstimate Estimate => estimate;

        public DateTimeOffset FreedAt => EndedAt is not { } ended ? DateTimeOffset.MaxValue
            : Tokens > share ? ended + window * (Tokens / share)
            : ended + window;
    }
}
