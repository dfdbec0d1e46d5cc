using System.Diagnostics.Metrics;

namespace Orchestrator.Workers.Telemetry;

/// <summary>The workers' instruments, on the meter <see cref="MeterName"/>.</summary>
public sealed class WorkerMetrics
{
    public const string MeterName = "Orchestrator.Workers";

    readonly Histogram<double> _upstreamLatency;
    readonly UpDownCounter<long> _inFlight;
    readonly Counter<long> _attempts;
    readonly Counter<long> _breakerTransitions;
    readonly Counter<long> _cooldowns;
    readonly Counter<long> _held;
    readonly Counter<long> _dropped;
    readonly Counter<long> _tokens;
    readonly Meter _meter;

    public WorkerMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _upstreamLatency = meter.CreateHistogram<double>("orchestrator.upstream_latency", unit: "ms", description: "Duration of model calls, by endpoint and outcome");
        _inFlight = meter.CreateUpDownCounter<long>("orchestrator.inflight", description: "Model calls in flight, by endpoint");
        _attempts = meter.CreateCounter<long>("orchestrator.attempts", description: "Attempts made by this worker, by outcome and failure kind");
        _breakerTransitions = meter.CreateCounter<long>("worker.endpoint.breaker_transitions", description: "Circuit breaker state changes, by endpoint and the state entered");
        _cooldowns = meter.CreateCounter<long>("worker.endpoint.cooldowns", description: "Fleet-wide cooldowns this worker started, by endpoint and cause (retry-after, breaker-open)");
        _held = meter.CreateCounter<long>("worker.invokes_held",
            description: "Invokes this worker held, by model, until an endpoint opened up, instead of refusing them as CircuitOpen");
        _tokens = meter.CreateCounter<long>("worker.tokens", unit: "{token}",
            description: "Tokens the endpoints reported using (usage), by model, endpoint and kind (prompt, completion)");
        _dropped = meter.CreateCounter<long>("worker.invokes_dropped",
            description: "Invokes of cancelled requests this worker took from the queue and dropped without a model call");
    }

    /// <summary>Counts a call in flight until the returned scope is disposed.</summary>
    public InFlight Call(string endpoint)
    {
        var tag = new KeyValuePair<string, object?>("endpoint", endpoint);
        _inFlight.Add(1, tag);
        return new InFlight(_inFlight, tag);
    }

    public void Called(string endpoint, double milliseconds, string outcome) =>
        _upstreamLatency.Record(milliseconds, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("outcome", outcome));

    public void Attempt(string outcome, string? failureKind) =>
        _attempts.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("failure_kind", failureKind ?? "none"));

    /// <summary>Reports each endpoint's breaker state (0 closed, 1 half-open, 2 open) whenever the gauge is read.</summary>
    public void ObserveBreakerStates(Func<IEnumerable<Measurement<int>>> observe) =>
        _meter.CreateObservableGauge("worker.endpoint.breaker_state", observe, description: "Circuit breaker state per endpoint: 0 closed, 1 half-open, 2 open");

    public void BreakerTransition(string endpoint, string to) =>
        _breakerTransitions.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("state", to));

    public void CooldownStarted(string endpoint, string cause) =>
        _cooldowns.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("cause", cause));

    public void InvokeHeld(string model) => _held.Add(1, new KeyValuePair<string, object?>("model", model));

    /// <summary>Counts an answer's reported usage; nothing when it reported none.</summary>
    public void TokensUsed(string model, string endpoint, Contracts.TokenUsage? usage)
    {
        if (usage is null)
            return;
        var modelTag = new KeyValuePair<string, object?>("model", model);
        var endpointTag = new KeyValuePair<string, object?>("endpoint", endpoint);
        _tokens.Add(usage.PromptTokens, modelTag, endpointTag, new KeyValuePair<string, object?>("kind", "prompt"));
        _tokens.Add(usage.CompletionTokens, modelTag, endpointTag, new KeyValuePair<string, object?>("kind", "completion"));
    }

    public void InvokeDropped(string model) => _dropped.Add(1, new KeyValuePair<string, object?>("model", model));

    /// <summary>The in-flight scope of one call.</summary>
    public readonly struct InFlight(UpDownCounter<long> counter, KeyValuePair<string, object?> tag) : IDisposable
    {
        public void Dispose() => counter.Add(-1, tag);
    }
}
