namespace Orchestrator.Contracts;

/// <summary>
/// A worker's periodic report of itself and of every endpoint it calls. Workers count their live peers from these
/// (to share fleet-wide limits); orchestrators show them to operators and learn which endpoints serve each model.
/// </summary>
public sealed record WorkerHeartbeat
{
    /// <summary>The worker instance.</summary>
    public required string WorkerId { get; init; }

    /// <summary>When the worker sent it.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The next heartbeat is due this long after <see cref="At"/>; three missed ones mean the worker is gone.</summary>
    public required TimeSpan Interval { get; init; }

    /// <summary>Heartbeats a worker may miss before it counts as gone.</summary>
    public const int MissedBeforeGone = 3;

    /// <summary>The worker counts as live at <paramref name="now"/>: it has missed fewer than <see cref="MissedBeforeGone"/> heartbeats.</summary>
    public bool IsLiveAt(DateTimeOffset now) => !Stopping && At + Interval * MissedBeforeGone >= now;

    /// <summary>True for the last heartbeat of a worker that is stopping: forget it now.</summary>
    public bool Stopping { get; init; }

    /// <summary>Model calls this worker makes at once at most.</summary>
    public int ConcurrencyLimit { get; init; }

    /// <summary>Every endpoint of every model the worker serves.</summary>
    public IReadOnlyList<EndpointReport> Endpoints { get; init; } = [];
}

/// <summary>One endpoint as one worker sees it.</summary>
public sealed record EndpointReport
{
    /// <summary>The model name the endpoint serves.</summary>
    public required string Model { get; init; }

    /// <summary>The endpoint's name.</summary>
    public required string Endpoint { get; init; }

    /// <summary>Lower is tried first.</summary>
    public int Priority { get; init; }

    /// <summary>This worker's circuit breaker: <c>Closed</c>, <c>HalfOpen</c> or <c>Open</c>.</summary>
    public required string Breaker { get; init; }

    /// <summary>When an open breaker half-opens.</summary>
    public DateTimeOffset? OpenUntil { get; init; }

    /// <summary>The fleet-wide cooldown this worker honours, if any.</summary>
    public DateTimeOffset? CoolingUntil { get; init; }

    /// <summary>Why it cools down, and which worker saw it.</summary>
    public string? CoolingReason { get; init; }

    /// <summary>Calls to the endpoint in flight in this worker.</summary>
    public int InFlight { get; init; }

    /// <summary>This worker's limit of calls in flight to the endpoint; null = only the worker's concurrency limit.</summary>
    public int? MaxInFlight { get; init; }

    /// <summary>The endpoint's fleet-wide requests-per-minute limit; null = none.</summary>
    public int? RequestsPerMinute { get; init; }

    /// <summary>The endpoint's fleet-wide tokens-per-minute limit; null = none.</summary>
    public int? TokensPerMinute { get; init; }

    /// <summary>Prompt tokens this worker's calls to the endpoint used in the last minute, as the answers reported.</summary>
    public long PromptTokensLastMinute { get; init; }

    /// <summary>Completion tokens this worker's calls to the endpoint used in the last minute, as the answers reported.</summary>
    public long CompletionTokensLastMinute { get; init; }
}
