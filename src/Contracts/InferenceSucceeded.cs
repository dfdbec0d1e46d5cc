namespace Orchestrator.Contracts;

/// <summary>
/// The request's one terminal success. Its MessageId is derived from the request id and generation, so a
/// subscriber that deduplicates by MessageId sees it once even if a crash made the orchestrator publish it twice.
/// </summary>
public sealed record InferenceSucceeded
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>The assistant's text.</summary>
    public required string Output { get; init; }

    /// <summary>The confidence score, when the endpoint returned log-probabilities.</summary>
    public double? Confidence { get; init; }

    /// <summary>Token counts of the successful attempt.</summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>How many attempts were made.</summary>
    public required int Attempts { get; init; }

    /// <summary>When the request reached the state.</summary>
    public required DateTimeOffset CompletedAt { get; init; }
}
