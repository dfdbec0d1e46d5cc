namespace Orchestrator.Contracts;

/// <summary>
/// Command: stop dispatching new attempts of a request that has not finished (state <c>Paused</c>). An attempt
/// already running is allowed to finish: a success is kept, a failure is recorded without scheduling a retry. The
/// deadline still applies. Ignored for a request awaiting review or finished.
/// </summary>
public sealed record PauseInference
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>Why, for the record (e.g. who asked).</summary>
    public string? Reason { get; init; }
}
