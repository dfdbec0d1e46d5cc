namespace Orchestrator.StateMachines;

/// <summary>A retry's backoff timer fired (from Quartz, or from the sweep repairing a lost trigger).</summary>
public sealed record RetryDue
{
    public required string RequestId { get; init; }

    /// <summary>Must match the saga's current retry token, or the fire is stale and ignored.</summary>
    public required Guid Token { get; init; }

    public required DateTimeOffset DueAt { get; init; }
    public required DateTimeOffset FiredAt { get; init; }

    /// <summary>"quartz" or "sweep": which path fired it, for the lateness figures.</summary>
    public required string Source { get; init; }
}
