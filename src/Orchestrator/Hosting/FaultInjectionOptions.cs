using Orchestrator.ServiceDefaults;

namespace Orchestrator.Hosting;

/// <summary>
/// Crash drills (section <c>Orchestrator:FaultInjection</c>): off unless configured. They exist to prove that a crash
/// in the narrowest windows loses nothing; never set them in production.
/// </summary>
public sealed class FaultInjectionOptions : IValidatedOptions
{
    public const string SectionName = "Orchestrator:FaultInjection";

    /// <summary>
    /// Kill the process right after the saga commits a message of this type (e.g. <c>AttemptSucceeded</c>), before
    /// anything it published has left: the window between state change and side effect.
    /// </summary>
    public string? CrashAfterCommitOf { get; set; }

    /// <summary>
    /// A file that marks the crash as done: the drill crashes only while it does not exist, so the restarted process
    /// gets past the same message.
    /// </summary>
    public string? CrashMarkerFile { get; set; }

    /// <summary>Always null: any value is valid; a CrashAfterCommitOf that names no message type simply never fires.</summary>
    public string? Problem() => null;

    /// <summary>The repository hook that carries out the drill, or null when none is configured.</summary>
    public Action<Type>? AfterCommitHook()
    {
        if (string.IsNullOrWhiteSpace(CrashAfterCommitOf))
            return null;
        var target = CrashAfterCommitOf;
        var marker = CrashMarkerFile;
        return type =>
        {
            if (type.Name != target || (marker is not null && File.Exists(marker)))
                return;
            if (marker is not null)
                File.WriteAllText(marker, $"crashed after commit of {type.Name} at {DateTime.UtcNow:O}");
            Environment.FailFast($"fault injection: crash after commit of {type.Name} ({SectionName}:CrashAfterCommitOf)");
        };
    }
}
