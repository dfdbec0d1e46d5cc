using Orchestrator.ServiceDefaults;

namespace Orchestrator.Scheduling;

/// <summary>How long finished requests stay in the hot tables (section <c>Orchestrator:Retention</c>).</summary>
public sealed class RetentionOptions : IValidatedOptions
{
    public const string SectionName = "Orchestrator:Retention";

    /// <summary>
    /// The dedupe window: a finished request stays this long after it finished, and its id answers with it. Past
    /// the window it moves to the archive tables and the id may run again as a new generation.
    /// </summary>
    public TimeSpan KeepTerminalFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the archiving job runs.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Requests moved per transaction.</summary>
    public int BatchSize { get; set; } = 1000;

    public string? Problem()
    {
        if (KeepTerminalFor < TimeSpan.Zero)
            return $"{SectionName}:KeepTerminalFor must not be negative (got {KeepTerminalFor})";
        if (Interval < TimeSpan.FromSeconds(1))
            return $"{SectionName}:Interval must be at least 1 s (got {Interval})";
        if (BatchSize < 1)
            return $"{SectionName}:BatchSize must be at least 1";
        return null;
    }
}
