namespace Orchestrator.Contracts;

/// <summary>
/// Command: run a new attempt now. A request waiting in <c>RetryScheduled</c> stops waiting; a <c>Failed</c> one is
/// reopened with a fresh retry budget and a fresh deadline of its original length (it will publish a second outcome,
/// with a new MessageId). Refused for a request that failed on invalid input; ignored in any other state.
/// </summary>
public sealed record RetryInference
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>Why, for the record (e.g. who asked).</summary>
    public string? Reason { get; init; }
}
