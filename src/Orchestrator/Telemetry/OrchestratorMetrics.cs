using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>The orchestrator's own instruments, on the meter <see cref="MeterName"/>.</summary>
public sealed class OrchestratorMetrics
{
    public const string MeterName = "Orchestrator";

    readonly Counter<long> _illegalEvents;
    readonly Counter<long> _staleEvents;
    readonly Counter<long> _retries;
    readonly Counter<long> _republished;
    long _republishedCount;
    readonly Histogram<double> _backoff;
    readonly Histogram<double> _timerLateness;
    readonly Histogram<double> _endToEnd;
    readonly Histogram<double> _retryWait;
    readonly Counter<long> _attempts;
    readonly Counter<long> _held;
    volatile IReadOnlyDictionary<string, long> _byState = new Dictionary<string, long>();
    long _stuck;

    public OrchestratorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _illegalEvents = meter.CreateCounter<long>("orchestrator.saga.illegal_events", description: "Events ignored because they are not legal in the saga's state");
        _staleEvents = meter.CreateCounter<long>("orchestrator.saga.stale_events", description: "Worker events for an attempt other than the current one");
        _republished = meter.CreateCounter<long>("orchestrator.saga.outcomes_republished", description: "Terminal outcomes published again because their result was delivered again");
        _retries = meter.CreateCounter<long>("orchestrator.retry_count", description: "Retries scheduled, by failure cause");
        _backoff = meter.CreateHistogram<double>("orchestrator.backoff_duration_ms", description: "Backoff chosen before a retry");
        _timerLateness = meter.CreateHistogram<double>("orchestrator.timer_lateness_ms", description: "How late a retry timer fired, by source (quartz, sweep)");
        _endToEnd = meter.CreateHistogram<double>("orchestrator.end_to_end_latency", unit: "ms", description: "From submission to the terminal state, by state");
        _retryWait = meter.CreateHistogram<double>("orchestrator.retry_wait", unit: "ms", description: "Time a request spent in RetryScheduled before its next attempt");
        _attempts = meter.CreateCounter<long>("orchestrator.attempts_decided", description: "Attempts whose outcome the saga applied, by outcome and failure kind");
        _held = meter.CreateCounter<long>("orchestrator.dispatch_held", description: "Dispatches held because every endpoint of the model was cooling down, by model");
        meter.CreateObservableGauge("orchestrator.stuck_requests", () => Interlocked.Read(ref _stuck),
            description: "Requests whose state has outlived their timers (should be 0; see GET /api/diagnostics/stuck)");
        meter.CreateObservableGauge("orchestrator.requests", ObserveStates, description: "Requests in the hot table by state (refreshed every few seconds)");
    }

    /// <summary>Counted in-process too, so tests and the CLI can read them without an exporter.</summary>
    public long IllegalEvents => Interlocked.Read(ref _illegalCount);

    long _illegalCount;

    public void IllegalEvent(string eventName, string state)
    {
        Interlocked.Increment(ref _illegalCount);
        _illegalEvents.Add(1, new KeyValuePair<string, object?>("event", eventName), new KeyValuePair<string, object?>("state", state));
    }

    public void DispatchHeld(string model) => _held.Add(1, new KeyValuePair<string, object?>("model", model));

    public void StaleEvent(string eventName) => _staleEvents.Add(1, new KeyValuePair<string, object?>("event", eventName));

    public long OutcomesRepublished => Interlocked.Read(ref _republishedCount);

    public void OutcomeRepublished(string state)
    {
        Interlocked.Increment(ref _republishedCount);
        _republished.Add(1, new KeyValuePair<string, object?>("state", state));
    }

    public void RetryScheduled(string? cause, double backoffMs)
    {
        var tag = new KeyValuePair<string, object?>("cause", cause ?? "unknown");
        _retries.Add(1, tag);
        _backoff.Record(backoffMs, tag);
    }

    public void TimerFired(string source, double latenessMs) =>
        _timerLateness.Record(Math.Max(0, latenessMs), new KeyValuePair<string, object?>("source", source));

    /// <summary>The latest count of requests by state, published by the state gauge.</summary>
    public void StateCounts(IReadOnlyDictionary<string, long> byState) => _byState = byState;

    public void StuckCount(long count) => Interlocked.Exchange(ref _stuck, count);

    IEnumerable<Measurement<long>> ObserveStates() =>
        StateMachines.RequestStates.All.Select(state =>
            new Measurement<long>(_byState.GetValueOrDefault(state), new KeyValuePair<string, object?>("state", state)));

    public void Finished(string state, double endToEndMs) =>
        _endToEnd.Record(endToEndMs, new KeyValuePair<string, object?>("state", state));

    public void RetryWaited(double milliseconds) => _retryWait.Record(milliseconds);

    public void AttemptDecided(string outcome, string? failureKind) =>
        _attempts.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("failure_kind", failureKind ?? "none"));
}
