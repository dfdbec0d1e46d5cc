namespace Orchestrator.Workers.Resilience;

/// <summary>
/// One endpoint's circuit breaker in one worker process: closed, open or half-open. Our own rather than Polly's
/// because it must trip on two rules at once (a run of consecutive faults, and a failure ratio over a sampling window),
/// and a caller that is refused must learn <em>when</em> to come back, so the saga can park the request until then
/// instead of spending an attempt. Thread-safe; the clock is injected so tests can move time.
/// <para>
/// Its history outlives its state changes: every outcome of the last <see cref="CircuitBreakerOptions.SamplingDuration"/>
/// stays in the window, those of calls let through before the last change too, because that history is what tells a
/// run of faults that is news from one the endpoint's usual fault rate makes by chance. A change only decides what the
/// rules count from then on: the run starts again at every change, and the ratio rule counts only the calls let through
/// since the breaker last closed, so the faults of the outage a probe has just seen the end of cannot reopen it. The
/// ratio rule too counts calls in the order they were made: a fault counts once every call made before it has ended.
/// </para>
/// <para>
/// A run is counted in the order the calls were made, not the order their outcomes came back: it is calls made one
/// after another that all failed, with no call made after them answered. Faults come back at once and answers take
/// seconds, so of a burst of calls made together the few faults arrive first, one after the other, while the calls
/// made between them are still out; counted as they arrived they would open the breaker of a healthy endpoint at
/// every burst (the first calls after a start, or after a close). An endpoint that goes down fails the calls made
/// after it went, one after another, and opens the breaker as soon as they come back, whatever was made before.
/// </para>
/// </summary>
public sealed class CircuitBreaker
{
    readonly object _gate = new();
    readonly TimeProvider _clock;
    readonly Action<BreakerTransition>? _onTransition;
    readonly Queue<(DateTimeOffset At, bool Fault)> _window = new();
    BreakerState _state = BreakerState.Closed;
    int _windowFaults;
    DateTimeOffset _openUntil;
    bool _probeOut;
    // Bumped by every transition: the outcome of a call let through in an earlier state decides nothing.
    long _generation;
    // The calls of this closed state by the order they were made (their number), for the run; the latest number that
    // was answered; the oldest number still kept (calls made before the sampling window are let go).
    long _nextCall;
    long _oldestCall;
    long _lastAnswered = -1;
    readonly Dictionary<long, (DateTimeOffset MadeAt, CallEnd End)> _calls = [];
    // The ratio rule's count, of the calls below _settledNext: every call made before them has ended.
    long _settledNext;
    int _settledCalls;
    int _settledFaults;

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
                    var call = _nextCall++;
                    _calls[call] = (now, CallEnd.Out);
                    return new BreakerLease(this, _generation, probe: false, call);
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
    internal DateTimeOffset? Complete(long generation, bool probe, long call, bool? fault)
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            if (fault is { } outcome)
                Remember(now, outcome);
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
            // A call let through before the last change is history only: it moves neither the run nor the state.
            if (generation != _generation || _state != BreakerState.Closed)
                return null;

            ForgetCallsBefore(now - Options.SamplingDuration);
            if (_calls.TryGetValue(call, out var made))
                _calls[call] = (made.MadeAt, fault switch { true => CallEnd.Fault, false => CallEnd.Answered, null => CallEnd.NoOutcome });
            if (fault is false)
                _lastAnswered = Math.Max(_lastAnswered, call);
            if (fault is not true)
                return null;
            if (Options.ConsecutiveFailures > 0 && RunThrough(call) is var (run, last) && _lastAnswered < last && run >= RunThatOpens(run))
                return Open(now, $"{run} consecutive failures");
            if (Options.FailureRatio > 0)
            {
                var (calls, faults) = SinceClosed();
                if (calls >= Options.MinimumThroughput && faults >= Options.FailureRatio * calls)
                    return Open(now, $"{faults} of {calls} calls failed in the last {Options.SamplingDuration.TotalSeconds:0.###} s");
            }

            return null;
        }
    }

    /// <summary>
    /// The run a failed call belongs to: the calls made just before and just after it that failed too, none between
    /// them still out or answered. Returns its length and the number of the last call made in it.
    /// </summary>
    (int Run, long Last) RunThrough(long call)
    {
        var first = call;
        while (first - 1 >= _oldestCall && _calls.TryGetValue(first - 1, out var before) && before.End == CallEnd.Fault)
            first--;
        var last = call;
        while (_calls.TryGetValue(last + 1, out var after) && after.End == CallEnd.Fault)
            last++;
        return ((int)(last - first + 1), last);
    }

    /// <summary>Lets go of the calls made before <paramref name="cutoff"/>: a run is recent news or none.</summary>
    void ForgetCallsBefore(DateTimeOffset cutoff)
    {
        while (_oldestCall < _nextCall && (!_calls.TryGetValue(_oldestCall, out var oldest) || oldest.MadeAt < cutoff))
        {
            if (_oldestCall < _settledNext)
                Settle(oldest.End, -1);
            else
                _settledNext = _oldestCall + 1;
            _calls.Remove(_oldestCall++);
        }
    }

    /// <summary>Adds an outcome to the window and lets the oldest go.</summary>
    void Remember(DateTimeOffset now, bool fault)
    {
        _window.Enqueue((now, fault));
        if (fault)
            _windowFaults++;
        Prune(now);
    }

    /// <summary>
    /// The ratio rule's count: of the calls made since the breaker last closed and within the sampling window, those
    /// whose every earlier call has ended too (the answers of calls made before a fault are as much the count as the
    /// fault, and they come back later), and how many of them failed.
    /// </summary>
    (int Calls, int Faults) SinceClosed()
    {
        while (_settledNext < _nextCall && _calls.TryGetValue(_settledNext, out var next) && next.End != CallEnd.Out)
        {
            Settle(next.End, +1);
            _settledNext++;
        }
        return (_settledCalls, _settledFaults);
    }

    void Settle(CallEnd end, int sign)
    {
        if (end is CallEnd.Fault or CallEnd.Answered)
            _settledCalls += sign;
        if (end is CallEnd.Fault)
            _settledFaults += sign;
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
    /// run to judge by, or one failing half its calls (a failing endpoint, not noise). The calls before the run are the
    /// whole window, from before the last close too: an endpoint that failed 1 call in 20 before it opened still does
    /// once a probe closed it again, and without that history the first short run after every close would reopen it.
    /// </summary>
    int RunThatOpens(int run)
    {
        var before = _window.Count - run;
        var faultsBefore = _windowFaults - run;
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
        // The run ends with the state it ran in; the window stays (see the class remarks).
        _calls.Clear();
        _oldestCall = _nextCall;
        _lastAnswered = -1;
        _settledNext = _nextCall;
        _settledCalls = 0;
        _settledFaults = 0;
        _onTransition?.Invoke(new BreakerTransition(Name, from, to, why, now, to == BreakerState.Open ? _openUntil : null));
    }

    /// <summary>How a call of the closed state ended, as far as the run is concerned.</summary>
    enum CallEnd
    {
        Out,
        Fault,
        Answered,
        NoOutcome,
    }
}
