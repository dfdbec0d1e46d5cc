using System.Diagnostics;

namespace Orchestrator.Workers.Telemetry;

/// <summary>The workers' own spans: one per attempt, around the model call.</summary>
public static class WorkerTracing
{
    public const string SourceName = "Orchestrator.Workers";

    public static readonly ActivitySource Source = new(SourceName);
}
