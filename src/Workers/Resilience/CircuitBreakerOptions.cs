namespace Orchestrator.Workers.Resilience;

/// <summary>
/// When an endpoint's breaker opens and for how long (section <c>Workers:CircuitBreaker</c>, the defaults of every
/// endpoint; <c>Workers:Models:{model}:Endpoints:{i}:CircuitBreaker</c> overrides them one by one). It trips on
/// either rule: <see cref="ConsecutiveFailures"/> failures in a row, or a <see cref="FailureRatio"/> of the calls in
/// the last <see cref="SamplingDuration"/> once at least <see cref="MinimumThroughput"/> calls were made. Only
/// upstream faults count: 5xx, 429, 408, timeouts, refused or dropped connections, malformed answers; a 4xx about
/// the request itself shows the endpoint is alive.
/// </summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>Off: every call goes through and nothing is counted.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Upstream faults of calls made one after another that open the breaker; 0 turns this rule off. More
    /// are needed from an endpoint whose recent calls fail now and then anyway (see <see cref="CircuitBreaker"/>): a run
    /// its fault rate would give by chance.
    /// </summary>
    public int ConsecutiveFailures { get; set; } = 3;

    /// <summary>Share of failed calls in the sampling window that opens the breaker, in (0, 1]; 0 turns this rule off.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Calls the sampling window must hold before the ratio rule applies.</summary>
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>How far back the ratio rule looks.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the breaker stays open before it lets one probe through (half-open).</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Null when valid, else a message naming the setting under <paramref name="at"/>.</summary>
    public string? Problem(string at)
    {
        if (ConsecutiveFailures < 0)
            return $"{at}:ConsecutiveFailures must not be negative (got {ConsecutiveFailures}); 0 turns the rule off";
        if (!(FailureRatio >= 0 && FailureRatio <= 1))
            return $"{at}:FailureRatio must be between 0 and 1 (got {FailureRatio}); 0 turns the rule off";
        if (MinimumThroughput < 1)
            return $"{at}:MinimumThroughput must be at least 1 (got {MinimumThroughput})";
        if (SamplingDuration <= TimeSpan.Zero)
            return $"{at}:SamplingDuration must be positive (got {SamplingDuration})";
        if (BreakDuration <= TimeSpan.Zero)
            return $"{at}:BreakDuration must be positive (got {BreakDuration})";
        if (Enabled && ConsecutiveFailures == 0 && FailureRatio == 0)
            return $"{at}: ConsecutiveFailures and FailureRatio are both 0, so the breaker could never open; set Enabled=false instead";
        return null;
    }
}
