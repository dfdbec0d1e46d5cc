using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.Telemetry;

namespace Orchestrator.Workers.Resilience;

/// <summary>
/// The circuit breakers of this worker process, one per endpoint name. Breaker state is per process on purpose: it
/// reflects what this worker saw; the fleet learns of an opened breaker from the cooldown the worker publishes.
/// </summary>
public sealed class EndpointBreakers
{
    readonly ConcurrentDictionary<string, CircuitBreaker> _breakers = new(StringComparer.Ordinal);
    readonly CircuitBreakerOptions _defaults;
    readonly TimeProvider _clock;
    readonly WorkerMetrics _metrics;
    readonly ILogger<EndpointBreakers> _logger;

    public EndpointBreakers(IOptions<WorkerOptions> options, TimeProvider clock, WorkerMetrics metrics, ILogger<EndpointBreakers> logger)
    {
        _defaults = options.Value.CircuitBreaker;
        _clock = clock;
        _metrics = metrics;
        _logger = logger;
        metrics.ObserveBreakerStates(() => _breakers.Values.Select(b =>
            new Measurement<int>((int)b.State, new KeyValuePair<string, object?>("endpoint", b.Name))));
    }

    /// <summary>The breaker of <paramref name="endpoint"/>, created with its options on first use.</summary>
    public CircuitBreaker For(EndpointOptions endpoint) =>
        _breakers.GetOrAdd(endpoint.DisplayName, static (name, state) =>
            new CircuitBreaker(name, state.Endpoint.CircuitBreaker?.Over(state.Self._defaults) ?? state.Self._defaults, state.Self._clock, state.Self.Transitioned),
            (Endpoint: endpoint, Self: this));

    void Transitioned(BreakerTransition t)
    {
        _metrics.BreakerTransition(t.Endpoint, t.To.ToString());
        switch (t.To)
        {
            case BreakerState.Open:
                _logger.BreakerOpened(t.Endpoint, t.OpenUntil ?? t.At, t.Why);
                break;
            case BreakerState.HalfOpen:
                _logger.BreakerHalfOpened(t.Endpoint, t.Why);
                break;
            default:
                _logger.BreakerClosed(t.Endpoint, t.Why);
                break;
        }
    }
}
