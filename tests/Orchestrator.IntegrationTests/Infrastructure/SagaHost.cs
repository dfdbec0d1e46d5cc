using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Hosting;
using Orchestrator.Persistence;
using Orchestrator.StateMachines;
using Orchestrator.Submission;

namespace Orchestrator.IntegrationTests.Infrastructure;

/// <summary>
/// The orchestrator's saga on our EF Core repository and a real database, driven in-process through the in-memory
/// bus (no workers): the repository is what is under test.
/// </summary>
public sealed class SagaHost : IAsyncDisposable
{
    readonly IHost _host;

    SagaHost(IHost host) => _host = host;

    public IBus Bus => _host.Services.GetRequiredService<IBus>();

    public IServiceProvider Services => _host.Services;

    /// <summary>Starts the host on the store; <c>settings</c> adds configuration (embedded workers and their model's endpoint, say).</summary>
    public static async Task<SagaHost> StartAsync(StoreKind store, string connectionString, string? quartzConnectionString = null,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orchestrator:Store"] = store.ToString(),
            ["Orchestrator:Transport"] = nameof(TransportKind.InMemory),
            ["Orchestrator:EmbeddedWorkers"] = "false",
            ["Orchestrator:SimulatedModel"] = "false",
            ["Orchestrator:MigrateOnStart"] = "true",
            [store == StoreKind.Postgres ? "ConnectionStrings:Postgres" : "ConnectionStrings:Sqlite"] = connectionString,
            ["ConnectionStrings:SqliteQuartz"] = quartzConnectionString,
            // A host per test, all in one process: each gets its own data folder for whatever is not given.
            ["Orchestrator:DataDirectory"] = Directory.CreateTempSubdirectory("orch-host-").FullName,
        });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddOrchestrator(builder.Configuration);
        var host = builder.Build();
        await SchemaStartup.MigrateIfEnabledAsync(host.Services, CancellationToken.None);
        await host.StartAsync();
        return new SagaHost(host);
    }

    public async Task<InferenceRequestState?> FindAsync(string requestId)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var id = RequestIdentity.ToCorrelationId(requestId);
        return await db.Requests.AsNoTracking().Include(x => x.Attempts).SingleOrDefaultAsync(x => x.CorrelationId == id);
    }

    public Task<InferenceRequestState?> WaitForStateAsync(string requestId, string state) =>
        Eventually.Until(() => FindAsync(requestId), s => s?.CurrentState == state, TimeSpan.FromSeconds(20), $"{requestId} in {state}");

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
