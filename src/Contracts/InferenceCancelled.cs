namespace Orchestrator.Contracts;

/// <summary>The request's one terminal outcome when it was cancelled before it finished.</summary>
public sealed record InferenceCancelled
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>Why it was cancelled.</summary>
    public required string Reason { get; init; }

    /// <summary>How many attempts were made before.</summary>
    public required int Attempts { get; init; }

    /// <summary>When it was cancelled.</summary>
    public required DateTimeOffset CancelledAt { get; init; }
}
