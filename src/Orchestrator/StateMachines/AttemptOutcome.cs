namespace Orchestrator.StateMachines;

/// <summary>The outcome column of an attempt row.</summary>
public static class AttemptOutcome
{
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string TimedOut = "TimedOut";
}
