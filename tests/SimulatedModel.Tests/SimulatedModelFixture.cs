using Orchestrator.SimulatedModel;

namespace SimulatedModel.Tests;

/// <summary>A simulated model with default options on a free port, shared by the tests of one class.</summary>
public sealed class SimulatedModelFixture : IAsyncLifetime, IDisposable
{
    SimulatedModelServer? _server;
    HttpClient? _client;

    public SimulatedModelServer Server => _server ?? throw new InvalidOperationException("The fixture is not started.");

    public HttpClient Client => _client ?? throw new InvalidOperationException("The fixture is not started.");

    public async Task InitializeAsync()
    {
        _server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        _client = new HttpClient { BaseAddress = _server.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    // xunit calls both: DisposeAsync stops the server, Dispose releases the client.
    public void Dispose() => _client?.Dispose();
}
