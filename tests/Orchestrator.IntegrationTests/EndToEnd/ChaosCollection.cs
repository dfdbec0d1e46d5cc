namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// The chaos run restarts the shared PostgreSQL and RabbitMQ servers: it must never overlap another test. A collection
/// with parallelization disabled runs on its own, after the parallel collections and never beside another one.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosCollection
{
    public const string Name = "Chaos";
}
