namespace Orchestrator.Chaos;

/// <summary>One injected fault: when it struck, when the system was whole again, what exactly was done.</summary>
public sealed record FaultRecord(FaultKind Kind, DateTime StartedUtc, DateTime EndedUtc, string Detail, string? Error, bool MidCall = false)
{
    public bool Succeeded => Error is null;
}
