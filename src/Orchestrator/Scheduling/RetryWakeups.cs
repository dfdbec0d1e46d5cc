namespace Orchestrator.Scheduling;

/// <summary>
/// The due times of the retries this process scheduled, so that its retry poller can sleep while nothing is due and
/// still fire on time. Every transition that sets a row's timer (a backoff, a circuit-open wait, a held dispatch)
/// reports it here before it commits. The poller polls every <see cref="TimerOptions.RetryPollInterval"/> while a
/// reported time is near (just before it and for a grace after it, so a commit that lands late is still seen), and
/// otherwise every <see cref="TimerOptions.IdlePollInterval"/>: rows written by other processes, or before a restart,
/// are found within that. Thread-safe.
/// </summary>
public sealed class RetryWakeups(TimeProvider clock)
{
    /// <summary>How long after a reported time the poller keeps polling at the fast interval.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    const int MaxKept = 100_000;

    readonly SortedSet<DateTime> _due = [];
    readonly object _gate = new();
    TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A retry is due at <paramref name="dueUtc"/>.</summary>
    public void Due(DateTime dueUtc)
    {
        bool earliest;
        lock (_gate)
        {
            earliest = _due.Count == 0 || dueUtc < _due.Min;
            if (_due.Count < MaxKept)
                _due.Add(dueUtc);
        }
        // A sleeping poller may be waiting past this time: wake it to re-plan.
        if (earliest)
            Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>How long the poller may sleep now, and a task that completes early when an earlier time is reported.</summary>
    public (TimeSpan Sleep, Task Earlier) Plan(TimeSpan fast, TimeSpan idle)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var earlier = Volatile.Read(ref _changed).Task;
        lock (_gate)
        {
            // Forget what is past its grace; a reported time within it keeps the fast pace.
            while (_due.Count > 0 && _due.Min < now - Grace)
                _due.Remove(_due.Min);
            if (_due.Count == 0)
                return (idle, earlier);
            var next = _due.Min;
            if (next <= now + fast)
                return (fast, earlier);
            var until = next - now;
            return (until < idle ? until : idle, earlier);
        }
    }
}
