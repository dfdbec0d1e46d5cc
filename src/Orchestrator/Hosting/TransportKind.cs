namespace Orchestrator.Hosting;

/// <summary>The message transport.</summary>
public enum TransportKind
{
    /// <summary>In-process: the embedded mode.</summary>
    InMemory,

    /// <summary>RabbitMQ: production, orchestrators and workers as separate processes.</summary>
    RabbitMQ,
}
