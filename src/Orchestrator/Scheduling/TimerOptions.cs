namespace Orchestrator.Scheduling;

/// <summary>The durable timers' machinery (section <c>Orchestrator:Timers</c>).</summary>
public sealed class TimerOptions
{
    public const string SectionName = "Orchestrator:Timers";

    /// <summary>How often the sweep looks for attempt timeouts, deadlines and retries whose trigger was lost.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How late a retry may be before the sweep fires it itself (Quartz normally fires it on time).</summary>
    public TimeSpan RepairGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Rows the sweep handles per kind per run.</summary>
    public int SweepBatchSize { get; set; } = 500;

    /// <summary>
    /// How often an idle Quartz scheduler looks for triggers scheduled by other nodes (Quartz's minimum is 1 s;
    /// a node that schedules a trigger itself is woken at once).
    /// </summary>
    public TimeSpan IdleWaitTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Quartz worker threads, and triggers acquired per round trip: each fire only publishes a message.</summary>
    public int ThreadCount { get; set; } = 16;

    public string? Problem()
    {
        if (SweepInterval < TimeSpan.FromMilliseconds(50))
            return $"{SectionName}:SweepInterval must be at least 50 ms (got {SweepInterval})";
        if (RepairGrace < TimeSpan.Zero)
            return $"{SectionName}:RepairGrace must not be negative";
        if (SweepBatchSize < 1)
            return $"{SectionName}:SweepBatchSize must be at least 1";
        if (IdleWaitTime < TimeSpan.FromSeconds(1))
            return $"{SectionName}:IdleWaitTime must be at least 1 s (Quartz's minimum; got {IdleWaitTime})";
        if (ThreadCount < 1)
            return $"{SectionName}:ThreadCount must be at least 1";
        return null;
    }
}
