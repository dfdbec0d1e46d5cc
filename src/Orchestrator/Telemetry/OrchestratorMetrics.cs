using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>The orchestrator's own instruments, on the meter <see cref="MeterName"/>.</summary>
public sealed class OrchestratorMetrics
{
    public const string MeterName = "Orchestrator";

    readonly Counter<long> _illegalEvents;
    readonly Counter<long> _transitions;
    readonly Counter<long> _staleEvents;

    public OrchestratorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _illegalEvents = meter.CreateCounter<long>("orchestrator.saga.illegal_events", description: "Events ignored because they are not legal in the saga's state");
        _staleEvents = meter.CreateCounter<long>("orchestrator.saga.stale_events", description: "Worker events for an attempt other than the current one");
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

    public void Transition(string state) => _transitions.Add(1, new KeyValuePair<string, object?>("state", state));
}
