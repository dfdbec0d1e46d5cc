namespace Orchestrator.Contracts;

/// <summary>
/// Command: an operator refuses the answer of a request held for review. It ends Failed with
/// <see cref="FailureKind.Rejected"/>, or, with <see cref="Retry"/>, the model is asked again (a new attempt).
/// </summary>
public sealed record RejectInference
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>Why the answer was refused.</summary>
    public string? Reason { get; init; }

    /// <summary>Ask the model again instead of failing the request.</summary>
    public bool Retry { get; init; }

    /// <summary>Who rejected, for the record.</summary>
    public string? Reviewer { get; init; }
}
