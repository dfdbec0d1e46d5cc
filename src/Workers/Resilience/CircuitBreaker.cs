namespace Orchestrator.Workers.Resilience;

/// <summary>
/// One endpoint's circuit breaker in one worker process: closed, open or half-open. Our own rather than Polly's
/// because it must trip on two rules at once (a run of consecutive faults, and a failure ratio over a sampling window),
/// and a caller that is refused must learn <em>when</em> to come back, so the saga can park the request until then
/// instead of spending an attempt. Thread-safe; the clock is injected so tests can move time.
/// </summary>
public sealed class CircuitBreaker
{
    readonly object _gate = new();
    readonly TimeProvider _clock;
    readonly Action<BreakerTransition>? _onTransition;
    readonly Queue<(DateTimeOffset At, bool Fault)> _window = new();
    BreakerState _state = BreakerState.Closed;
    int _windowFaults;
    int _consecutive;
    DateTimeOffset _openUntil;
    bool _probeOut;
    // Bumped by every transition: the outcome of a call let through in an earlier state decides nothing.
    long _generation;

    public CircuitBreaker(string name, CircuitBreakerOptions options, TimeProvider clock, Action<BreakerTransition>? onTransition = null)
    {
        Name = name;
        Options = options;
        _clock = clock;
        _onTransition = onTransition;
    }

    public string Name { get; }

    public CircuitBreakerOptions Options { get; }

    /// <summary>The state now: an open breaker whose break is over reads half-open.</summary>
    public BreakerState State
    {
        get
        {
            lock (_gate)
            {
                Advance(_clock.GetUtcNow());
                return _state;
            }
        }
    }

    /// <summary>
    /// Asks to make a call. Closed: granted. Half-open: granted to one caller at a time (the probe). Otherwise null,
    /// with <paramref name="retryAt"/> set to when a call may be let through: the end of the break, or, while a probe
    /// is out, one break from now.
    /// </summary>
    public BreakerLease? TryAcquire(out DateTimeOffset retryAt)
    {
        retryAt = default;
        if (!Options.Enabled)
            return new BreakerLease(null, 0, probe: false);
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            Advance(now);
            switch (_state)
            {
                case BreakerState.Closed:
                    return new BreakerLease(this, _generation, probe: false);
                case BreakerState.HalfOpen when !_probeOut:
                    _probeOut = true;
                    return new BreakerLease(this, _generation, probe: true);
                case BreakerState.HalfOpen:
                    retryAt = now + Options.BreakDuration;
                    return null;
                default:
                    retryAt = _openUntil;
                    return null;
            }
        }
    }

    /// <summary>When the breaker is open, the end of its break; else null.</summary>
    public DateTimeOffset? OpenUntil
    {
        get
        {
            lock (_gate)
            {
                Advance(_clock.GetUtcNow());
                return _state == BreakerState.Open ? _openUntil : null;
            }
        }
    }

    /// <summary>
    /// A call let through has ended: <paramref name="fault"/> true for an upstream fault, null when it ended without an
    /// outcome (cancelled). Returns the end of the break when this outcome opened the breaker.
    /// </summary>
    internal DateTimeOffset? Complete(long generation, bool probe, bool? fault)
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            if (probe)
            {
                if (generation != _generation || _state != BreakerState.HalfOpen)
                    return null;
                _probeOut = false;
                if (fault is true)
                    return Open(now, "the half-open probe failed");
                if (fault is false)
                    Move(BreakerState.Closed, now, "the half-open probe succeeded");
                // No outcome: the next caller probes instead.
                return null;
            }
            if (fault is null || generation != _generation || _state != BreakerState.Closed)
                return null;

            _window.Enqueue((now, fault.Value));
            if (fault.Value)
                _windowFaults++;
            Prune(now);
            _consecutive = fault.Value ? _consecutive + 1 : 0;
            if (!fault.Value)
                return null;
            if (Options.ConsecutiveFailures > 0 && _consecutive >= RunThatOpens())
                return Open(now, $"{_consecutive} consecutive failures");
            if (Options.FailureRatio > 0 && _window.Count >= Options.MinimumThroughput &&
                _windowFaults >= Options.FailureRatio * _window.Count)
            {
                return Open(now, $"{_windowFaults} of {_window.Count} calls failed in the last {Options.SamplingDuration.TotalSeconds:0.###} s");
            }

            return null;
        }
    }

    /// <summary>A run of faults that a steady fault rate gives by chance less often than once in this many calls is news.</summary>
    const double ChanceOfRun = 1e-6;

    /// <summary>
    /// How many faults in a row open the breaker: <see cref="CircuitBreakerOptions.ConsecutiveFailures"/>, or more when
    /// the calls before the run show the endpoint failing now and then anyway. Under load a steady rate of random
    /// faults makes short runs often (at 20%, three in a row every 125 calls), and each would open the breaker on an
    /// endpoint that answers four calls in five. So the run must be one that rate would give by chance less than once
    /// in a million calls: 5 at a 5% rate, 9 at 20%, 20 at most. An endpoint that rarely failed before (a sudden
    /// outage) still opens after ConsecutiveFailures; so does one with fewer than MinimumThroughput calls before the
    /// run to judge by, or one failing half its calls (a failing endpoint, not noise).
    /// </summary>
    int RunThatOpens()
    {
        var before = _window.Count - _consecutive;
        var faultsBefore = _windowFaults - _consecutive;
        if (before < Options.MinimumThroughput || faultsBefore <= 0)
            return Options.ConsecutiveFailures;
        var rate = (double)faultsBefore / before;
        if (rate >= 0.5)
            return Options.ConsecutiveFailures;
        return Math.Max(Options.ConsecutiveFailures, (int)Math.Ceiling(Math.Log(ChanceOfRun) / Math.Log(rate)));
    }

    void Prune(DateTimeOffset now)
    {
        var since = now - Options.SamplingDuration;
        while (_window.TryPeek(out var oldest) && oldest.At < since)
        {
            _window.Dequeue();
            if (oldest.Fault)
                _windowFaults--;
        }
    }

    void Advance(DateTimeOffset now)
    {
        if (_state == BreakerState.Open && now >= _openUntil)
            Move(BreakerState.HalfOpen, now, "the break is over");
    }

    DateTimeOffset Open(DateTimeOffset now, string why)
    {
        _openUntil = now + Options.BreakDuration;
        Move(BreakerState.Open, now, why);
        return _openUntil;
    }

    void Move(BreakerState to, DateTimeOffset now, string why)
    {
        var from = _state;
        _state = to;
        _generation++;
        _probeOut = false;
        _consecutive = 0;
        _window.Clear();
        _windowFaults = 0;
        _onTransition?.Invoke(new BreakerTransition(Name, from, to, why, now, to == BreakerState.Open ? _openUntil : null));
    }
}
