using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// One orchestrator and one worker as separate processes, each connected to the broker as its own role's user
/// (scripts/broker-roles.sh), as production runs them.
/// </summary>
public sealed class BrokerRolesFixture : IAsyncLifetime
{
    ProductionCluster? _cluster;

    public ProductionCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _cluster = await ProductionCluster.StartAsync(
        orchestratorSettings: new Dictionary<string, string> { ["ConnectionStrings__RabbitMQ"] = TestServers.RabbitMqOrchestrator },
        workerSettings: new Dictionary<string, string> { ["ConnectionStrings__RabbitMQ"] = TestServers.RabbitMqWorker });

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }
}
