namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>Tests that share the broker's fixed queue names run one after another, never side by side.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RabbitMqCollection
{
    public const string Name = "RabbitMQ";
}
