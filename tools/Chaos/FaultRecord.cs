namespace Orchestrator.Chaos;

/// <summary>
/// One injected fault: when it struck, when the system was whole again, what exactly was done, and what the runner
/// measured around it (the process it hit, messages the orchestrators took again, invokes the workers bounced).
/// </summary>
public sealed record FaultRecord(FaultKind Kind, DateTime StartedUtc, DateTime EndedUtc, string Detail, string? Error, bool MidCall = false)
{
    public bool Succeeded => Error is null;

    /// <summary>The worker or orchestrator killed, for the evidence query.</summary>
    public string? Victim { get; init; }

    /// <summary>Messages the orchestrators counted as redelivered from the fault's start until a moment after its end.</summary>
    public double Redelivered { get; init; }

    /// <summary>Invokes the live workers refused as <c>CircuitOpen</c> while the fault lasted; null when not measured.</summary>
    public double? Bounces { get; init; }
}
