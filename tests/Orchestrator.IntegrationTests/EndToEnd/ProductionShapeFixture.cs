using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// The production shape as separate OS processes: a simulated model, one orchestrator and one worker, on a fresh
/// PostgreSQL database and the real RabbitMQ. The schema is applied by <c>orchestrator migrate</c>, as an operator would.
/// </summary>
public sealed class ProductionShapeFixture : IAsyncLifetime
{
    readonly PostgresTestDatabase _database = new();
    readonly List<ChildProcess> _processes = [];

    public PostgresTestDatabase Database => _database;
    public Uri OrchestratorUrl { get; private set; } = null!;
    public Uri SimulatedModelUrl { get; private set; } = null!;
    public HttpClient Api { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string Diagnostics => string.Join("\n", _processes.Select(p => $"--- {p.Name} (pid {p.Pid}) ---\n{p.Output}"));

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();

        var simPort = ChildProcess.FreePort();
        SimulatedModelUrl = new Uri($"http://127.0.0.1:{simPort}/");
        var sim = Track(ChildProcess.Start("simulated-model", RepoPaths.SimulatedModel, ["--urls", SimulatedModelUrl.ToString()], new Dictionary<string, string>()));
        await sim.WaitUntilHealthyAsync(new Uri(SimulatedModelUrl, "health").ToString(), TimeSpan.FromSeconds(60));

        var store = new Dictionary<string, string>
        {
            ["Orchestrator__Store"] = "Postgres",
            ["Orchestrator__Transport"] = "RabbitMQ",
            ["Orchestrator__EmbeddedWorkers"] = "false",
            ["Orchestrator__SimulatedModel"] = "false",
            ["ConnectionStrings__Postgres"] = _database.ConnectionString,
            ["ConnectionStrings__RabbitMQ"] = TestServers.RabbitMq,
        };
        await using (var migrate = ChildProcess.Start("migrate", RepoPaths.Orchestrator, ["migrate"], store))
        {
            var code = await migrate.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(code == 0, $"migrate exited {code}:\n{migrate.Output}");
        }

        var apiPort = ChildProcess.FreePort();
        OrchestratorUrl = new Uri($"http://127.0.0.1:{apiPort}/");
        var orchestrator = Track(ChildProcess.Start("orchestrator", RepoPaths.Orchestrator, ["--urls", OrchestratorUrl.ToString()], store));

        var workerPort = ChildProcess.FreePort();
        var worker = Track(ChildProcess.Start("worker", RepoPaths.Workers, ["--urls", $"http://127.0.0.1:{workerPort}"], new Dictionary<string, string>
        {
            ["ConnectionStrings__RabbitMQ"] = TestServers.RabbitMq,
            ["Workers__WorkerId"] = "e2e-worker-1",
            ["Workers__Models__sim__Endpoints__0__BaseUrl"] = SimulatedModelUrl.ToString(),
        }));

        await orchestrator.WaitUntilHealthyAsync(new Uri(OrchestratorUrl, "health/ready").ToString(), TimeSpan.FromSeconds(90));
        await worker.WaitUntilHealthyAsync($"http://127.0.0.1:{workerPort}/health/ready", TimeSpan.FromSeconds(90));
        Api.BaseAddress = OrchestratorUrl;
    }

    ChildProcess Track(ChildProcess process)
    {
        _processes.Add(process);
        return process;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
            await process.DisposeAsync();
        Api.Dispose();
        await _database.DisposeAsync();
    }
}
