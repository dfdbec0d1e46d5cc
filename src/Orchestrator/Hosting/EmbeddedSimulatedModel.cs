using Microsoft.Extensions.Configuration.Memory;
using Orchestrator.ServiceDefaults;
using Orchestrator.SimulatedModel;

namespace Orchestrator.Hosting;

/// <summary>
/// The embedded mode's model: the simulated OpenAI-compatible server on a free loopback port, with the
/// embedded workers' <c>sim</c> endpoint pointed at it.
/// </summary>
public static class EmbeddedSimulatedModel
{
    /// <summary>Starts the server when the options ask for it; null otherwise.</summary>
    public static async Task<SimulatedModelServer?> StartIfEnabledAsync(IConfigurationManager configuration, CancellationToken cancellationToken)
    {
        var options = configuration.GetValidatedOptions<OrchestratorOptions>(OrchestratorOptions.SectionName);
        if (!options.RunsSimulatedModel)
            return null;

        // The server is started before the host is built, from an options object it checks itself.
        var simulated = SimulatedModelOptionsBinder.Bind(configuration);
        var server = await SimulatedModelServer.StartAsync(simulated, "http://127.0.0.1:0", cancellationToken);
        configuration.Sources.Add(new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Workers:Models:sim:Endpoints:0:Name"] = "sim",
                ["Workers:Models:sim:Endpoints:0:BaseUrl"] = server.BaseAddress.ToString(),
            },
        });
        return server;
    }
}
