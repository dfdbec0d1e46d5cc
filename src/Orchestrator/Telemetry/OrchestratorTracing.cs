using System.Diagnostics;

namespace Orchestrator.Telemetry;

/// <summary>The orchestrator's own spans, beside MassTransit's (source <c>MassTransit</c>).</summary>
public static class OrchestratorTracing
{
    public const string SourceName = "Orchestrator";

    public static readonly ActivitySource Source = new(SourceName);
}
