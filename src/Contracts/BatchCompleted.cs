namespace Orchestrator.Contracts;

/// <summary>
/// Every request of a batch has finished (Succeeded, Failed or Cancelled). Published once per completion with a
/// MessageId derived from the batch id and <see cref="Completion"/>, so a re-publish after a crash carries the same
/// MessageId; a batch an operator retries completes again as completion 2, 3, ...
/// </summary>
public sealed record BatchCompleted
{
    /// <summary>The batch's id (its Idempotency-Key).</summary>
    public required string BatchId { get; init; }

    /// <summary>1 for the first completion, one more after each retry of the batch.</summary>
    public required int Completion { get; init; }

    /// <summary>Requests in the batch.</summary>
    public required int Total { get; init; }

    /// <summary>Requests that ended Succeeded.</summary>
    public required int Succeeded { get; init; }

    /// <summary>Requests that ended Failed.</summary>
    public required int Failed { get; init; }

    /// <summary>Requests that ended Cancelled.</summary>
    public required int Cancelled { get; init; }

    /// <summary>When its last request finished.</summary>
    public required DateTimeOffset CompletedAt { get; init; }
}
