namespace Orchestrator.Workers.Resilience;

/// <summary>A circuit breaker's state; the values are what the <c>worker.endpoint.breaker_state</c> gauge reports.</summary>
public enum BreakerState
{
    /// <summary>Calls go through; outcomes are counted.</summary>
    Closed = 0,

    /// <summary>The break is over: one probe call goes through, its outcome closes or reopens the breaker.</summary>
    HalfOpen = 1,

    /// <summary>No call goes through until the break is over.</summary>
    Open = 2,
}
