namespace Orchestrator.Chaos;

/// <summary>What the database holds for one request at the end of the run.</summary>
public sealed record RequestRow(string RequestId, string? State, int Attempt, long AttemptRows, DateTime? CompletedAt, bool HasTimer, DateTime CreatedAt)
{
    public static readonly string[] TerminalStates = ["Succeeded", "Failed", "Cancelled"];

    public bool IsTerminal => State is not null && TerminalStates.Contains(State);
}
