using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>One orchestrator and one worker as separate processes, shared by the tests of a class.</summary>
public sealed class ProductionShapeFixture : IAsyncLifetime
{
    ProductionCluster? _cluster;

    public ProductionCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");
    public PostgresTestDatabase Database => Cluster.Database;
    public HttpClient Api => Cluster.Api;
    public string Diagnostics => Cluster.Diagnostics;

    public async Task InitializeAsync() => _cluster = await ProductionCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }
}
