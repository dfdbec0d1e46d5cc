namespace Orchestrator.Contracts;

/// <summary>
/// Command: stop a request that has not finished. It ends <c>Cancelled</c>, its timers are removed and no further
/// model call is made; a request already finished is left as it is.
/// </summary>
public sealed record CancelInference
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>Why, for the record (e.g. who asked).</summary>
    public string? Reason { get; init; }
}
