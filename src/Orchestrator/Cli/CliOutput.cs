using System.Globalization;
using System.Text.Json;
using Orchestrator.ServiceDefaults;

namespace Orchestrator.Cli;

/// <summary>What the CLI prints for people. Logs go to stderr; stdout holds only the command's output.</summary>
public static class CliOutput
{
    /// <summary>A host builder's logging, sent to stderr so stdout stays the command's own.</summary>
    public static void LogToStandardError(ILoggingBuilder logging, IConfiguration configuration, LogLevel minimum)
    {
        logging.AddServiceLogging(configuration, toStandardError: true);
        logging.SetMinimumLevel(minimum);
        // Above appsettings.json's per-category levels too: a CLI verb is quiet unless something is wrong.
        logging.AddFilter((_, level) => level >= minimum);
    }

    /// <summary>A string field of an API answer, or "" when it is missing or not a string.</summary>
    public static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    /// <summary>A number field as the API wrote it, or "-".</summary>
    public static string Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetRawText() : "-";

    /// <summary>A timestamp field in UTC to the second, or "-".</summary>
    public static string Time(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTime(out var at)
            ? at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : "-";

    /// <summary>The text cut to a table column, with an ellipsis where it was cut.</summary>
    public static string Cut(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
