namespace Orchestrator.Contracts;

/// <summary>A worker's attempt failed; <see cref="Kind"/> says whether retrying can help.</summary>
public sealed record AttemptFailed
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>The attempt number.</summary>
    public required int Attempt { get; init; }

    /// <summary>The worker instance.</summary>
    public required string WorkerId { get; init; }

    /// <summary>The endpoint called, when a call was made (after any fallback: the one that failed).</summary>
    public string? Endpoint { get; init; }

    /// <summary>The classification of the failure.</summary>
    public required FailureKind Kind { get; init; }

    /// <summary>
    /// What exactly failed, as a short key that retry overrides are configured by: <c>timeout</c>, <c>connect</c>,
    /// <c>reset</c>, <c>malformed</c>, <c>abandoned</c>, or <c>http-&lt;status&gt;</c> such as <c>http-503</c>.
    /// </summary>
    public string? Cause { get; init; }

    /// <summary>What happened, for people: e.g. <c>HTTP 400 from sim: messages must not be empty</c>.</summary>
    public required string Reason { get; init; }

    /// <summary>The HTTP status, when the endpoint answered.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>The endpoint's <c>Retry-After</c>, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// With <see cref="FailureKind.CircuitOpen"/>: the earliest time a breaker of the model's endpoints lets a call
    /// through again (it half-opens). The orchestrator tries again then, without counting an attempt.
    /// </summary>
    public DateTimeOffset? RetryAt { get; init; }

    /// <summary>When the worker started the attempt.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the attempt failed.</summary>
    public required DateTimeOffset FinishedAt { get; init; }
}
