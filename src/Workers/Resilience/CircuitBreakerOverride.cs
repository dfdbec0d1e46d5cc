namespace Orchestrator.Workers.Resilience;

/// <summary>
/// One endpoint's changes to the worker's <see cref="CircuitBreakerOptions"/>: only the settings given here differ
/// (<c>Workers:Models:{model}:Endpoints:{i}:CircuitBreaker:ConsecutiveFailures=2</c>).
/// </summary>
public sealed class CircuitBreakerOverride
{
    public bool? Enabled { get; set; }
    public int? ConsecutiveFailures { get; set; }
    public double? FailureRatio { get; set; }
    public int? MinimumThroughput { get; set; }
    public TimeSpan? SamplingDuration { get; set; }
    public TimeSpan? BreakDuration { get; set; }

    /// <summary>The defaults with this override's settings applied.</summary>
    public CircuitBreakerOptions Over(CircuitBreakerOptions defaults) => new()
    {
        Enabled = Enabled ?? defaults.Enabled,
        ConsecutiveFailures = ConsecutiveFailures ?? defaults.ConsecutiveFailures,
        FailureRatio = FailureRatio ?? defaults.FailureRatio,
        MinimumThroughput = MinimumThroughput ?? defaults.MinimumThroughput,
        SamplingDuration = SamplingDuration ?? defaults.SamplingDuration,
        BreakDuration = BreakDuration ?? defaults.BreakDuration,
    };
}
