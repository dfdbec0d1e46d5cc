namespace Orchestrator.Contracts;

/// <summary>The request's one terminal failure.</summary>
public sealed record InferenceFailed
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>Why it failed, as a kind.</summary>
    public required FailureKind Kind { get; init; }

    /// <summary>Why it failed, for people.</summary>
    public required string Reason { get; init; }

    /// <summary>How many attempts were made (0 when the request was refused before any).</summary>
    public required int Attempts { get; init; }

    /// <summary>When the request reached the state.</summary>
    public required DateTimeOffset FailedAt { get; init; }
}
