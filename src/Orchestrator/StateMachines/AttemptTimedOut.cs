namespace Orchestrator.StateMachines;

/// <summary>The sweep found an attempt past its timeout without a result: a transient failure of that attempt.</summary>
public sealed record AttemptTimedOut
{
    public required string RequestId { get; init; }
    public required int Attempt { get; init; }
    public required DateTimeOffset TimeoutAt { get; init; }
}
