using Orchestrator.ServiceDefaults;

namespace Orchestrator.Scheduling;

/// <summary>The durable timers' machinery (section <c>Orchestrator:Timers</c>).</summary>
public sealed class TimerOptions : IValidatedOptions
{
    public const string SectionName = "Orchestrator:Timers";

    /// <summary>How often each orchestrator looks for retries whose backoff is over (the bound on their lateness).</summary>
    public TimeSpan RetryPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How often each orchestrator polls while it knows of no retry due soon: retries it scheduled itself fire within
    /// <see cref="RetryPollInterval"/> of their time; rows written by another orchestrator, or before a restart,
    /// within this.
    /// </summary>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Due retries claimed per poll; a full batch is followed by the next at once.</summary>
    public int RetryBatchSize { get; set; } = 500;

    /// <summary>How often the sweep looks for attempt timeouts, deadlines and lost submissions.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Rows the sweep handles per kind per run.</summary>
    public int SweepBatchSize { get; set; } = 500;

    /// <summary>Quartz worker threads, for the recurring jobs (the sweep).</summary>
    public int ThreadCount { get; set; } = 4;

    public string? Problem()
    {
        if (RetryPollInterval < TimeSpan.FromMilliseconds(10))
            return $"{SectionName}:RetryPollInterval must be at least 10 ms (got {RetryPollInterval})";
        if (IdlePollInterval < RetryPollInterval)
            return $"{SectionName}:IdlePollInterval must be at least RetryPollInterval (got {IdlePollInterval})";
        if (RetryBatchSize < 1)
            return $"{SectionName}:RetryBatchSize must be at least 1";
        if (SweepInterval < TimeSpan.FromMilliseconds(50))
            return $"{SectionName}:SweepInterval must be at least 50 ms (got {SweepInterval})";
        if (SweepBatchSize < 1)
            return $"{SectionName}:SweepBatchSize must be at least 1";
        if (ThreadCount < 1)
            return $"{SectionName}:ThreadCount must be at least 1";
        return null;
    }
}
