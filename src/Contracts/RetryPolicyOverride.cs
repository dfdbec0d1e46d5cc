namespace Orchestrator.Contracts;

/// <summary>
/// A request's own retry limits. Each null field keeps the server's value; <see cref="MaximumAttempts"/> and
/// <see cref="MaximumIntervalMs"/> above the server's caps are lowered to the caps. An
/// <see cref="InitialIntervalMs"/> above the maximum interval that applies is refused, naming that limit.
/// </summary>
public sealed record RetryPolicyOverride
{
    /// <summary>Attempts in all, the first included.</summary>
    public int? MaximumAttempts { get; init; }

    /// <summary>
    /// The delay before the first retry, in milliseconds; at most the maximum interval (<see cref="MaximumIntervalMs"/>,
    /// else the server's).
    /// </summary>
    public int? InitialIntervalMs { get; init; }

    /// <summary>How much each delay grows over the previous one (at least 1).</summary>
    public double? BackoffCoefficient { get; init; }

    /// <summary>The longest delay between two attempts, in milliseconds.</summary>
    public int? MaximumIntervalMs { get; init; }
}
