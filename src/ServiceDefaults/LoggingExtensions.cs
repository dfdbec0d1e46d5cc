using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Orchestrator.ServiceDefaults;

public static class LoggingExtensions
{
    /// <summary>
    /// JSON lines (<see cref="JsonLineFormatter"/>) when stdout is not a terminal or <c>Logging:Format</c> is
    /// <c>json</c>; plain text otherwise, still carrying the trace and span ids (as a scope). <c>Logging:Format</c>
    /// <c>text</c> forces plain text.
    /// </summary>
    public static ILoggingBuilder AddServiceLogging(this ILoggingBuilder logging, IConfiguration configuration, bool toStandardError = false)
    {
        var format = configuration["Logging:Format"];
        var json = string.Equals(format, "json", StringComparison.OrdinalIgnoreCase) ||
                   (!string.Equals(format, "text", StringComparison.OrdinalIgnoreCase) && Console.IsOutputRedirected);
        logging.ClearProviders();
        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (json)
        {
            logging.AddConsole(o =>
            {
                o.FormatterName = JsonLineFormatter.FormatterName;
                if (toStandardError)
                    o.LogToStandardErrorThreshold = LogLevel.Trace;
            });
            logging.AddConsoleFormatter<JsonLineFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
        }
        else
        {
            logging.AddSimpleConsole(o => o.IncludeScopes = true);
            if (toStandardError)
                logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        return logging;
    }
}
