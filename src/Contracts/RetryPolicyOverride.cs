namespace Orchestrator.Contracts;

/// <summary>
/// A request's own retry limits. Each null field keeps the server's value; values above the server's caps are
/// lowered to the caps.
/// </summary>
public sealed record RetryPolicyOverride
{
    /// <summary>Attempts in all, the first included.</summary>
    public int? MaximumAttempts { get; init; }

    /// <summary>The delay before the first retry, in milliseconds.</summary>
    public int? InitialIntervalMs { get; init; }

    /// <summary>How much each delay grows over the previous one (at least 1).</summary>
    public double? BackoffCoefficient { get; init; }

    /// <summary>The longest delay between two attempts, in milliseconds.</summary>
    public int? MaximumIntervalMs { get; init; }
}
