using Orchestrator.Workers.Hosting;

namespace Orchestrator.Workers.Resilience;

/// <summary>
/// Where an attempt goes: an endpoint with leave to call it, or nowhere, with every endpoint passed over, why, and
/// when each may take a call again.
/// </summary>
public sealed record EndpointChoice
{
    /// <summary>The endpoint to call; null when none may be called now.</summary>
    public EndpointOptions? Endpoint { get; init; }

    /// <summary>The breaker's leave to call <see cref="Endpoint"/>: record the outcome on it, then dispose it.</summary>
    public BreakerLease? Lease { get; init; }

    /// <summary>The endpoint's limit slot (in flight, rate, tokens): settle it with the call's usage, dispose it when the call ends.</summary>
    public EndpointSlot? Slot { get; init; }

    /// <summary>The endpoints passed over, in the order tried.</summary>
    public IReadOnlyList<SkippedEndpoint> Skipped { get; init; } = [];

    /// <summary>
    /// No endpoint now, but one is only busy (a limit): it frees up soon, so the caller waits and asks again rather
    /// than failing fast.
    /// </summary>
    public bool Saturated => Endpoint is null && Skipped.Any(s => s.Busy);

    /// <summary>When no endpoint may be called: the earliest time one may be.</summary>
    public DateTimeOffset? RetryAt => Endpoint is null && Skipped.Count > 0 ? Skipped.Min(s => s.RetryAt) : null;

    /// <summary>Every endpoint passed over, why and until when, for a reason or a log line.</summary>
    public string SkippedText => string.Join(", ", Skipped.Select(s => $"{s.Endpoint} {s.Why} until {s.RetryAt:O}"));
}

/// <summary>An endpoint not called: <see cref="Busy"/> for a limit (it frees soon), else its breaker is open or it is cooling down.</summary>
public sealed record SkippedEndpoint(string Endpoint, DateTimeOffset RetryAt, string Why, bool Busy);
