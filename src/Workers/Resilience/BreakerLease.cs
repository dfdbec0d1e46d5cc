namespace Orchestrator.Workers.Resilience;

/// <summary>
/// Leave to make one call through a breaker. Report its outcome with <see cref="Record"/>; disposing a lease without
/// one (the call was cancelled) frees a half-open breaker's probe slot without counting anything.
/// </summary>
public sealed class BreakerLease : IDisposable
{
    readonly CircuitBreaker? _breaker;
    readonly long _generation;
    readonly long _call;
    int _done;

    internal BreakerLease(CircuitBreaker? breaker, long generation, bool probe, long call = 0)
    {
        _breaker = breaker;
        _generation = generation;
        _call = call;
        IsProbe = probe;
    }

    /// <summary>This call is the half-open breaker's one probe.</summary>
    public bool IsProbe { get; }

    /// <summary>
    /// The call ended: <paramref name="upstreamFault"/> true when the endpoint failed (5xx, 429, timeout, connection).
    /// Returns the end of the break when this outcome opened the breaker, so the caller can tell the fleet.
    /// </summary>
    public DateTimeOffset? Record(bool upstreamFault) =>
        Interlocked.Exchange(ref _done, 1) == 0 ? _breaker?.Complete(_generation, IsProbe, _call, upstreamFault) : null;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
            _breaker?.Complete(_generation, IsProbe, _call, null);
    }
}
