using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>The orchestrator's own instruments, on the meter <see cref="MeterName"/>.</summary>
public sealed class OrchestratorMetrics
{
    public const string MeterName = "Orchestrator";

    readonly Counter<long> _illegalEvents;
    readonly Counter<long> _transitions;
    readonly Counter<long> _staleEvents;
    readonly Counter<long> _retries;
    readonly Counter<long> _republished;
    long _republishedCount;
    readonly Histogram<double> _backoff;
    readonly Histogram<double> _timerLateness;

    public OrchestratorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _illegalEvents = meter.CreateCounter<long>("orchestrator.saga.illegal_events", description: "Events ignored because they are not legal in the saga's state");
        _staleEvents = meter.CreateCounter<long>("orchestrator.saga.stale_events", description: "Worker events for an attempt other than the current one");
        _republished = meter.CreateCounter<long>("orchestrator.saga.outcomes_republished", description: "Terminal outcomes published again because their result was delivered again");
        _retries = meter.CreateCounter<long>("orchestrator.retry_count", description: "Retries scheduled, by failure cause");
        _backoff = meter.CreateHistogram<double>("orchestrator.backoff_duration_ms", unit: "ms", description: "Backoff chosen before a retry");
        _timerLateness = meter.CreateHistogram<double>("orchestrator.timer_lateness_ms", unit: "ms", description: "How late a retry timer fired, by source (quartz, sweep)");
        _transitions = meter.CreateCounter<long>("orchestrator.saga.transitions", description: "State transitions, by target state");
    }

    /// <summary>Counted in-process too, so tests and the CLI can read them without an exporter.</summary>
    public long IllegalEvents => Interlocked.Read(ref _illegalCount);

    long _illegalCount;

    public void IllegalEvent(string eventName, string state)
    {
        Interlocked.Increment(ref _illegalCount);
        _illegalEvents.Add(1, new KeyValuePair<string, object?>("event", eventName), new KeyValuePair<string, object?>("state", state));
    }

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

    public void Transition(string state) => _transitions.Add(1, new KeyValuePair<string, object?>("state", state));
}
