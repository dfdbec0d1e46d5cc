namespace Orchestrator.Contracts;

/// <summary>
/// Command: let a <c>Paused</c> request go on. An attempt still running when it was paused goes on being awaited;
/// otherwise a new attempt starts at once. Ignored in any other state.
/// </summary>
public sealed record ResumeInference
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>Why, for the record (e.g. who asked).</summary>
    public string? Reason { get; init; }
}
