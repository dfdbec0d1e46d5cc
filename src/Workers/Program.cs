using Microsoft.Extensions.Options;
using Orchestrator.ServiceDefaults;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.Telemetry;

// A worker process: consumes InvokeModel from RabbitMQ as one of any number of competing consumers.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
WorkerDefaults.AddAsLowestPriority(builder.Configuration);
builder.AddServiceDefaults("orchestrator-worker", [WorkerMetrics.MeterName], [WorkerTracing.SourceName]);
if (!RabbitMqHost.TryGetUri(builder.Configuration, out var rabbitMq, out var problem))
{
    await Console.Error.WriteLineAsync(problem);
    return 2;
}
builder.AddWorkers(rabbitMq);

var app = builder.Build();
app.MapServiceEndpoints();

var options = app.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;
app.Logger.WorkerStarted(options.WorkerId, string.Join(",", options.Models.Keys), options.ConcurrencyLimit);
await app.RunAsync();
return 0;
