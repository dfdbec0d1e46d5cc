namespace Orchestrator.Contracts;

/// <summary>
/// A worker learned that an endpoint must not be called until <see cref="Until"/>: its circuit breaker opened, the
/// endpoint answered with <c>Retry-After</c>, or its rate-limit headers said the key's quota is spent until a reset. Every worker and every orchestrator receives it (each on a queue of its
/// own), so the whole fleet stops sending to the endpoint instead of each worker finding out for itself.
/// </summary>
public sealed record EndpointCoolingDown
{
    /// <summary>The endpoint's name, as workers configure it and the attempts table shows it.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The model whose call found the endpoint sick.</summary>
    public required string Model { get; init; }

    /// <summary>No call goes to the endpoint before this time.</summary>
    public required DateTimeOffset Until { get; init; }

    /// <summary><c>breaker-open</c>, <c>retry-after</c> or <c>rate-limit-headers</c>.</summary>
    public required string Cause { get; init; }

    /// <summary>What happened, for people: e.g. <c>HTTP 429 with Retry-After 30 s</c>.</summary>
    public required string Reason { get; init; }

    /// <summary>The worker that saw it.</summary>
    public required string WorkerId { get; init; }

    /// <summary>When the worker saw it.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary><see cref="Cause"/> when a worker's circuit breaker of the endpoint opened.</summary>
    public const string BreakerOpenCause = "breaker-open";

    /// <summary><see cref="Cause"/> when the endpoint answered 429 or 503 with <c>Retry-After</c>.</summary>
    public const string RetryAfterCause = "retry-after";

    /// <summary>
    /// <see cref="Cause"/> when an answer's <c>x-ratelimit-remaining-*</c> headers said the quota is spent (no requests,
    /// or fewer tokens than a call needs) until <c>x-ratelimit-reset-*</c>.
    /// </summary>
    public const string RateLimitHeadersCause = "rate-limit-headers";
}
