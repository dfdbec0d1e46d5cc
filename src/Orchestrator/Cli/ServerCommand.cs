using Microsoft.Extensions.Options;
using Orchestrator.Api;
using Orchestrator.Api.Access;
using Orchestrator.Batches;
using Orchestrator.Dashboard;
using Orchestrator.Callbacks;
using Orchestrator.DeadLetters;
using Orchestrator.Fleet;
using Orchestrator.Hosting;
using Orchestrator.Persistence;
using Orchestrator.Scheduling;
using Orchestrator.ServiceDefaults;
using Orchestrator.Telemetry;
using Orchestrator.Workers.Telemetry;

namespace Orchestrator.Cli;

/// <summary>The long-running orchestrator: API, saga consumers and, embedded, the workers and the simulated model.</summary>
public static class ServerCommand
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
            builder.WebHost.UseUrls(DefaultUrl);
        builder.Logging.AddServiceLogging(builder.Configuration);
        // Text is limited to 100,000 characters and images to 10 MB each by the input gate; the body as a whole here.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize =
            builder.Configuration.GetValue<long?>("Orchestrator:Api:MaxRequestBodyBytes") ?? 16 * 1024 * 1024);

        var orchestratorOptions = builder.Configuration.GetValidatedOptions<OrchestratorOptions>(OrchestratorOptions.SectionName);
        var accessProblems = builder.Services.AddApiAccessControl(builder.Configuration, orchestratorOptions);
        if (accessProblems.Count > 0)
        {
            foreach (var problem in accessProblems)
                await Console.Error.WriteLineAsync($"orchestrator: {problem}");
            return 2;
        }

        await using var simulated = await EmbeddedSimulatedModel.StartIfEnabledAsync(builder.Configuration, CancellationToken.None);
        builder.Services.AddOrchestrator(builder.Configuration);
        builder.Services.AddOpenApi();
        builder.Services.AddProblemDetails();
        builder.Services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("store", tags: [TelemetryExtensions.ReadyTag])
            .AddCheck<SchedulerHealthCheck>("scheduler", tags: [TelemetryExtensions.ReadyTag]);
        builder.Services.AddHostedService<StateGaugeRefresher>();
        builder.Services.AddServiceTelemetry(builder.Configuration, "orchestrator",
            [OrchestratorMetrics.MeterName, WorkerMetrics.MeterName],
            [OrchestratorTracing.SourceName, WorkerTracing.SourceName]);

        var app = builder.Build();
        var options = app.Services.GetRequiredService<IOptions<OrchestratorOptions>>().Value;
        app.Logger.Starting(options.Store.ToString(), options.Transport.ToString(), options.RunsEmbeddedWorkers);
        if (simulated is not null)
            app.Logger.SimulatedModelListening(simulated.BaseAddress);
        await SchemaStartup.MigrateIfEnabledAsync(app.Services, CancellationToken.None);
        if (await SchemaStartup.WaitForStoreAsync(app.Services, CancellationToken.None) is { } storeProblem)
        {
            await Console.Error.WriteLineAsync($"orchestrator: cannot start: {storeProblem}");
            return 3;
        }
        await SchemaStartup.EndAttemptsLostWithTheQueueAsync(app.Services, CancellationToken.None);

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseApiAccessControl();
        app.MapOpenApi().AllowAnonymous(); // serves /openapi/v1.json
        app.MapServiceEndpoints(AccessControlExtensions.HoldsOperateKey);
        app.MapAuthApi();
        app.MapRequestsApi();
        app.MapBulkActionsApi();
        app.MapBatchesApi();
        app.MapDeadLettersApi();
        app.MapCallbacksApi();
        app.MapFleetApi();
        app.MapDashboard(); // GET / and its two files

        await app.StartAsync();
        try
        {
            // Only now are the addresses known: a Kestrel:Endpoints setting overrides --urls.
            var refused = app.DecideApiAccess();
            if (refused.Count > 0)
            {
                foreach (var problem in refused)
                    await Console.Error.WriteLineAsync($"orchestrator: {problem}");
                await app.StopAsync();
                return 2;
            }
            await app.WaitForShutdownAsync();
            return 0;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
