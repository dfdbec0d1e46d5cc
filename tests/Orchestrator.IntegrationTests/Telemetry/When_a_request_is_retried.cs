using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Orchestrator.Contracts;
using Orchestrator.Hosting;
using Orchestrator.Persistence;
using Orchestrator.Submission;
using Orchestrator.Telemetry;
using Orchestrator.Workers.Telemetry;

namespace Orchestrator.IntegrationTests.Telemetry;

/// <summary>
/// The retry chain seen through telemetry, with in-memory exporters: one trace from submission through every attempt
/// (across the durable retry timer), the backoff histogram, and logs that carry the same trace id.
/// </summary>
public sealed class When_a_request_is_retried : IAsyncLifetime, IDisposable
{
    static readonly ActivitySource Client = new("Tests.Client");
    readonly List<Activity> _spans = [];
    readonly ConcurrentBag<(int EventId, string? TraceId, string Message)> _logs = [];
    readonly ConcurrentBag<(double Value, string? Cause)> _backoffs = [];
    readonly string _data = Directory.CreateTempSubdirectory("orch-otel-").FullName;
    IHost _host = null!;
    Orchestrator.SimulatedModel.SimulatedModelServer? _model;
    TracerProvider _tracer = null!;
    MeterListener _meters = null!;

    public async Task InitializeAsync()
    {
        _tracer = Sdk.CreateTracerProviderBuilder()
            .AddSource("Tests.Client", OrchestratorTracing.SourceName, WorkerTracing.SourceName, "MassTransit")
            .AddInMemoryExporter(_spans)
            .Build()!;
        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == OrchestratorMetrics.MeterName && instrument.Name == "orchestrator.backoff_duration_ms")
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        _meters.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            string? cause = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "cause")
                    cause = tag.Value as string;
            }
            _backoffs.Add((value, cause));
        });
        _meters.Start();

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orchestrator:DataDirectory"] = _data,
        });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddProvider(new CapturingLoggerProvider(_logs));
        _model = await EmbeddedSimulatedModel.StartIfEnabledAsync(builder.Configuration, CancellationToken.None);
        builder.Services.AddOrchestrator(builder.Configuration);
        _host = builder.Build();
        await SchemaStartup.MigrateIfEnabledAsync(_host.Services, CancellationToken.None);
        await _host.StartAsync();
    }

    [Fact]
    public async Task Should_keep_one_trace_across_three_attempts_with_two_backoffs_and_traced_logs()
    {
        const string id = "otel-503-503-ok";
        ActivityTraceId trace;
        using (var submit = Client.StartActivity("submit", ActivityKind.Producer))
        {
            trace = submit!.TraceId;
            await _host.Services.GetRequiredService<IBus>().Publish(new InferenceRequested
            {
                RequestId = id,
                Model = "sim",
                Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText("Traced [[sim: 503, 503, ok]]")] }],
            });
        }

        await Eventually.Until(async () =>
        {
            await using var scope = _host.Services.CreateAsyncScope();
            var saga = await scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>().Requests.FindAsync(RequestIdentity.ToCorrelationId(id));
            return saga?.CurrentState;
        }, s => s == "Succeeded", TimeSpan.FromSeconds(20), $"{id} Succeeded");
        _tracer.ForceFlush();

        List<Activity> spans;
        lock (_spans)
            spans = [.. _spans];
        var ours = spans.Where(s => Equals(s.GetTagItem("request_id"), id)).ToList();
        Assert.NotEmpty(ours);
        Assert.All(ours, s => Assert.Equal(trace, s.TraceId));
        var attempts = ours.Where(s => s.OperationName == "model attempt").OrderBy(s => (int)s.GetTagItem("attempt")!).ToList();
        Assert.Equal([1, 2, 3], attempts.Select(s => (int)s.GetTagItem("attempt")!));
        Assert.Equal(2, ours.Count(s => s.OperationName == "retry timer fired"));
        // Everything the request caused, MassTransit's consume and publish spans included, is in the one trace.
        Assert.True(spans.Count(s => s.TraceId == trace) >= ours.Count + 6, "MassTransit's spans belong to the request's trace too");

        var backoffs = _backoffs.Where(b => b.Cause == "http-503").Select(b => b.Value).Order().ToList();
        Assert.Equal(2, backoffs.Count);
        Assert.InRange(backoffs[0], 1000, 2000);
        Assert.InRange(backoffs[1], 2000, 4000);

        var retryLogs = _logs.Where(l => l.EventId == 1007 && l.Message.Contains(id, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, retryLogs.Count);
        Assert.All(retryLogs, l => Assert.Equal(trace.ToHexString(), l.TraceId));
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        if (_model is not null)
            await _model.DisposeAsync();
        Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    public void Dispose()
    {
        _tracer?.Dispose();
        _meters?.Dispose();
    }

    sealed class CapturingLoggerProvider(ConcurrentBag<(int EventId, string? TraceId, string Message)> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capturing(logs);

        public void Dispose()
        {
        }

        sealed class Capturing(ConcurrentBag<(int, string?, string)> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Add((eventId.Id, Activity.Current?.TraceId.ToHexString(), formatter(state, exception)));
        }
    }
}
