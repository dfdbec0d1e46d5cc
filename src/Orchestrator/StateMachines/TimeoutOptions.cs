using Orchestrator.ServiceDefaults;

namespace Orchestrator.StateMachines;

/// <summary>How long each wait may last (section <c>Orchestrator:Timeouts</c>), named as Temporal names them.</summary>
public sealed class TimeoutOptions : IValidatedOptions
{
    public const string SectionName = "Orchestrator:Timeouts";

    /// <summary>From a worker's start of an attempt to its result. Past it, the attempt fails as transient (cause <c>timeout</c>).</summary>
    public TimeSpan StartToCloseTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>From dispatching an attempt to its result, queueing included.</summary>
    public TimeSpan ScheduleToCloseTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A request's overall deadline when its message sets none.</summary>
    public TimeSpan DefaultDeadline { get; set; } = TimeSpan.FromHours(1);

    public string? Problem()
    {
        if (StartToCloseTimeout <= TimeSpan.Zero)
            return $"{SectionName}:StartToCloseTimeout must be positive (got {StartToCloseTimeout})";
        if (ScheduleToCloseTimeout < StartToCloseTimeout)
            return $"{SectionName}:ScheduleToCloseTimeout must be at least StartToCloseTimeout (got {ScheduleToCloseTimeout})";
        if (DefaultDeadline <= TimeSpan.Zero)
            return $"{SectionName}:DefaultDeadline must be positive (got {DefaultDeadline})";
        return null;
    }
}
