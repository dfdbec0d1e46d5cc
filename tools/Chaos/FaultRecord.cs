namespace Orchestrator.Chaos;

/// <summary>
/// One injected fault: when it struck, when the system was whole again, what exactly was done, and which process it
/// hit.
/// </summary>
public sealed record FaultRecord(FaultKind Kind, DateTime StartedUtc, DateTime EndedUtc, string Detail, string? Error, bool MidCall = false)
{
    public bool Succeeded => Error is null;

    /// <summary>The worker or orchestrator killed, for the evidence query.</summary>
    public string? Victim { get; init; }

    /// <summary>When the blow itself fell (a kill waits for a worker holding a call first).</summary>
    public DateTime StruckUtc { get; init; }
}
