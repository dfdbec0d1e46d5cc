using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orchestrator.ServiceDefaults;
using Orchestrator.Telemetry;

namespace Orchestrator.Tests.Workers;

public sealed class JsonLineFormatterSpecs
{
    [Fact]
    public void Should_write_one_json_object_with_snake_case_fields_and_the_trace()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Tests.Json",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("Tests.Json");
        using var activity = source.StartActivity("work")!;

        var output = new StringWriter();
        var logger = new Capture(output);
        logger.RetryScheduled("req-7", 2, 1500, "Transient", "HTTP 503 from sim");

        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("RetryScheduled", root.GetProperty("event").GetString());
        Assert.Equal("req-7", root.GetProperty("request_id").GetString());
        Assert.Equal(2, root.GetProperty("attempt").GetInt32());
        Assert.Equal(1500, root.GetProperty("backoff_ms").GetInt64());
        Assert.Equal("Transient", root.GetProperty("failure_kind").GetString());
        Assert.Equal("HTTP 503 from sim", root.GetProperty("reason").GetString());
        Assert.Equal(activity.TraceId.ToHexString(), root.GetProperty("trace_id").GetString());
        Assert.Equal(activity.SpanId.ToHexString(), root.GetProperty("span_id").GetString());
    }

    sealed class Capture(TextWriter output) : ILogger
    {
        readonly JsonLineFormatter _formatter = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _formatter.Write(new Microsoft.Extensions.Logging.Abstractions.LogEntry<TState>(logLevel, "test", eventId, state, exception, formatter), null, output);
    }
}
