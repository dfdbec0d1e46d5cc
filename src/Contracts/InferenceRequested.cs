namespace Orchestrator.Contracts;

/// <summary>
/// Published by a service that wants a model to answer. The orchestrator owns the request from here on and
/// publishes exactly one <see cref="InferenceSucceeded"/> or <see cref="InferenceFailed"/> for it.
/// </summary>
/// <remarks>
/// Published to the fanout exchange <c>Orchestrator.Contracts:InferenceRequested</c>. Publishing the same
/// <see cref="RequestId"/> again never creates a second request.
/// </remarks>
public sealed record InferenceRequested
{
    /// <summary>The client's id for the request: 1–128 characters of <c>[A-Za-z0-9._:-]</c>, e.g. <c>req-001</c>.</summary>
    public required string RequestId { get; init; }

    /// <summary>The model name, one of the orchestrator's configured models (e.g. <c>sim</c>).</summary>
    public required string Model { get; init; }

    /// <summary>The conversation; the last message is usually the user's.</summary>
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>Sampling parameters; null for the model's defaults.</summary>
    public GenerationParameters? Parameters { get; init; }

    /// <summary>Absolute time after which the request fails with <see cref="FailureKind.DeadlineExceeded"/>.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Free-form labels kept with the request and returned by the API.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>This request's own retry limits, within the server's caps; null for the server's policy.</summary>
    public RetryPolicyOverride? Retry { get; init; }

    /// <summary>
    /// 1–5, 5 the most urgent (<see cref="RequestPriority"/>); null for the orchestrator's configured default (3).
    /// When the workers are saturated, waiting invokes of a higher priority are handed out first.
    /// </summary>
    public int? Priority { get; init; }

    /// <summary>The publishing service's name, kept for operators.</summary>
    public string? SourceService { get; init; }
}
