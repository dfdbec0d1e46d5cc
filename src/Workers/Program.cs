using MassTransit;
using Microsoft.Extensions.Options;
using Orchestrator.ServiceDefaults;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.Telemetry;

// A worker process: consumes InvokeModel from RabbitMQ as one of any number of competing consumers.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
WorkerDefaults.AddAsLowestPriority(builder.Configuration);
builder.Logging.AddServiceLogging(builder.Configuration);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
    builder.WebHost.UseUrls("http://127.0.0.1:5081");

var rabbitMq = builder.Configuration.GetConnectionString("RabbitMQ");
if (string.IsNullOrWhiteSpace(rabbitMq) || !Uri.TryCreate(rabbitMq, UriKind.Absolute, out var rabbitUri) || rabbitUri.Scheme is not ("amqp" or "amqps"))
{
    await Console.Error.WriteLineAsync(
        $"ConnectionStrings:RabbitMQ must be an amqp:// URL (got '{rabbitMq}'); set ConnectionStrings__RabbitMQ, e.g. amqp://user:pass@127.0.0.1:5672/");
    return 2;
}

builder.Services.AddWorkerServices();
builder.Services.AddServiceTelemetry(builder.Configuration, "orchestrator-worker", [WorkerMetrics.MeterName], [WorkerTracing.SourceName]);
builder.Services.AddHealthChecks();
builder.Services.AddMassTransit(bus =>
{
    bus.AddWorkerConsumers();
    bus.UsingRabbitMq((context, cfg) =>
    {
        cfg.Host(rabbitUri);
        cfg.ConfigureEndpoints(context);
    });
});
builder.Services.AddOptions<MassTransitHostOptions>().Configure(o =>
{
    // Without this, messages published right after start can be lost.
    o.WaitUntilStarted = true;
    o.StopTimeout = TimeSpan.FromSeconds(30);
});

var app = builder.Build();
app.MapServiceEndpoints();

var options = app.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;
app.Logger.WorkerStarted(options.WorkerId, string.Join(",", options.Models.Keys), options.ConcurrencyLimit);
await app.RunAsync();
return 0;
