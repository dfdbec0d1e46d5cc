using Microsoft.Extensions.Configuration.Memory;
using Orchestrator.SimulatedModel;
using Orchestrator.SimulatedModel.Logging;

// Standalone simulated model: `dotnet run --project src/SimulatedModel -- --urls http://127.0.0.1:5090`.
// Settings come from the "SimulatedModel" section (e.g. SimulatedModel__FaultRate=0.2).
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
{
    Args = args,

    // The content root is the binary's folder, so the server starts the same from any working directory.
    ContentRootPath = AppContext.BaseDirectory,
});

// Quiet defaults go first, so appsettings, environment variables and arguments can still raise the levels;
// a benchmark must not be I/O bound on per-request logs.
builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
{
    InitialData = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        ["Logging:LogLevel:System"] = "Warning",
    },
});

const string DefaultStandaloneUrl = "http://127.0.0.1:5090";
if (string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey])
    && string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.HttpPortsKey])
    && string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.HttpsPortsKey]))
{
    builder.WebHost.UseUrls(DefaultStandaloneUrl);
}

builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

try
{
    builder.Services.AddSimulatedModel(builder.Configuration);
}
catch (InvalidOperationException exception)
{
    await Console.Error.WriteLineAsync($"Simulated model not started: {exception.Message}");
    return 2;
}

var app = builder.Build();
app.MapSimulatedModel();

var options = app.Services.GetRequiredService<SimulatedModelOptions>();
var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Orchestrator.SimulatedModel");
app.Lifetime.ApplicationStarted.Register(() => Log.Ready(
    logger,
    options.LatencyMs,
    options.LatencyJitterMs,
    options.FaultRate,
    options.Seed,
    options.Models.Count == 0 ? "any" : string.Join(", ", options.Models)));

await app.RunAsync();
return 0;
