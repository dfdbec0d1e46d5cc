namespace Orchestrator.Workers.Hosting;

/// <summary>The endpoints that serve one model name, in order of preference.</summary>
public sealed class ModelOptions
{
    public List<EndpointOptions> Endpoints { get; set; } = [];
}
