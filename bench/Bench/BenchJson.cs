using System.Text.Json;

namespace Orchestrator.Bench;

public static class BenchJson
{
    /// <summary>camelCase, one line: each verb's last stdout line is its result.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Line<T>(T value) => JsonSerializer.Serialize(value, Options);
}
