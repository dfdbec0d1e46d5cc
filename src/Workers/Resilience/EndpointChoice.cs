using Orchestrator.Workers.Hosting;

namespace Orchestrator.Workers.Resilience;

/// <summary>
/// Where an attempt goes: an endpoint with leave to call it, or nowhere because every breaker of the model is open,
/// with the earliest time one lets a call through.
/// </summary>
public sealed record EndpointChoice
{
    /// <summary>The endpoint to call; null when every breaker is open.</summary>
    public EndpointOptions? Endpoint { get; init; }

    /// <summary>The leave to call <see cref="Endpoint"/>: record the outcome on it, then dispose it.</summary>
    public BreakerLease? Lease { get; init; }

    /// <summary>The endpoints passed over because their breakers were open, with when each lets a call through.</summary>
    public IReadOnlyList<(string Endpoint, DateTimeOffset RetryAt)> Skipped { get; init; } = [];

    /// <summary>When every breaker is open: the earliest time one of them lets a call through.</summary>
    public DateTimeOffset? RetryAt => Endpoint is null && Skipped.Count > 0 ? Skipped.Min(s => s.RetryAt) : null;

    /// <summary>The skipped endpoints, for a reason or a log line.</summary>
    public string SkippedText => string.Join(", ", Skipped.Select(s => $"{s.Endpoint} open until {s.RetryAt:O}"));
}
