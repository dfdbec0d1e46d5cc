namespace Orchestrator.StateMachines;

/// <summary>The sweep found a request past its overall deadline.</summary>
public sealed record DeadlineReached
{
    public required string RequestId { get; init; }
    public required DateTimeOffset Deadline { get; init; }
}
