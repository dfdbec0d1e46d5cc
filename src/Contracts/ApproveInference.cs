namespace Orchestrator.Contracts;

/// <summary>Command: an operator accepts the answer of a request held for review (<c>AwaitingReview</c>); it ends Succeeded.</summary>
public sealed record ApproveInference
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>Who approved, for the record.</summary>
    public string? Reviewer { get; init; }

    /// <summary>Why, for the record.</summary>
    public string? Note { get; init; }
}
