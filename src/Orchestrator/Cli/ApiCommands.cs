using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Orchestrator.Cli;

/// <summary>
/// The operator verbs, against a running orchestrator's API (<c>--url</c>, else <c>ORCHESTRATOR_URL</c>, else
/// http://127.0.0.1:5080): <c>requests list|show|cancel</c>, <c>review approve|reject</c>, <c>submit --file</c>.
/// Tables for people on stdout; <c>--json</c> makes the last stdout line one JSON object; problems go to stderr
/// with exit code 1 (2 for bad arguments).
/// </summary>
public static class ApiCommands
{
    sealed record Options(Uri Url, bool Json, Dictionary<string, string> Named, List<string> Positional, HashSet<string> Flags);

    public static async Task<int> RunAsync(string verb, string[] args)
    {
        if (Parse(args) is not { } options)
            return 2;
        using var http = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            return (verb, options.Positional) switch
            {
                ("requests", ["list"]) => await List(http, options),
                ("requests", ["show", var id]) => await Show(http, options, id),
                ("requests", ["cancel", var id]) => await Post(http, options, $"api/requests/{Escape(id)}/cancel", new { reason = options.Named.GetValueOrDefault("reason") }),
                ("review", ["approve", var id]) => await Post(http, options, $"api/requests/{Escape(id)}/approve",
                    new { reviewer = options.Named.GetValueOrDefault("reviewer"), note = options.Named.GetValueOrDefault("note") }),
                ("review", ["reject", var id]) => await Post(http, options, $"api/requests/{Escape(id)}/reject",
                    new { reviewer = options.Named.GetValueOrDefault("reviewer"), reason = options.Named.GetValueOrDefault("reason"), retry = options.Flags.Contains("retry") }),
                ("submit", []) when options.Named.TryGetValue("file", out var file) => await Submit(http, options, file),
                _ => Usage(verb),
            };
        }
        catch (HttpRequestException exception)
        {
            await Console.Error.WriteLineAsync($"{verb}: cannot reach the orchestrator at {options.Url}: {exception.Message}");
            return 1;
        }
    }

    static async Task<int> List(HttpClient http, Options options)
    {
        var query = new StringBuilder("api/requests?limit=").Append(options.Named.GetValueOrDefault("limit", "50"));
        if (options.Named.TryGetValue("state", out var state))
            query.Append("&state=").Append(Uri.EscapeDataString(state));
        using var response = await http.GetAsync(new Uri(query.ToString(), UriKind.Relative));
        if (await Problem(response, "requests list") is { } code)
            return code;
        using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (options.Json)
        {
            Console.WriteLine(page.RootElement.GetRawText());
            return 0;
        }
        Console.WriteLine($"{"REQUEST",-40} {"STATE",-15} {"ATTEMPT",7}  {"UPDATED (UTC)",-20} REASON");
        foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
        {
            Console.WriteLine($"{Cut(Str(item, "requestId"), 40),-40} {Str(item, "state"),-15} {item.GetProperty("attempt").GetInt32(),7}  " +
                $"{Time(item, "updatedAt"),-20} {Cut(Str(item, "reason"), 60)}");
        }
        return 0;
    }

    static async Task<int> Show(HttpClient http, Options options, string id)
    {
        using var response = await http.GetAsync(new Uri($"api/requests/{Escape(id)}", UriKind.Relative));
        if (await Problem(response, "requests show") is { } code)
            return code;
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var r = doc.RootElement;
        if (options.Json)
        {
            Console.WriteLine(r.GetRawText());
            return 0;
        }
        Console.WriteLine($"request     {Str(r, "requestId")}");
        Console.WriteLine($"state       {Str(r, "state")}   attempt {r.GetProperty("attempt").GetInt32()}");
        foreach (var field in new[] { "failureKind", "reason", "nextAttemptAt", "decision" })
        {
            if (r.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null)
                Console.WriteLine($"{field,-11} {value}");
        }
        if (r.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object)
            Console.WriteLine($"output      {Cut(Str(result, "output"), 200)}");
        Console.WriteLine();
        Console.WriteLine($"{"#",3} {"OUTCOME",-10} {"STARTED (UTC)",-20} {"MS",7} {"HTTP",5} {"BACKOFF",8}  {"WORKER",-20} REASON");
        foreach (var a in r.GetProperty("attempts").EnumerateArray())
        {
            Console.WriteLine($"{a.GetProperty("attempt").GetInt32(),3} {Str(a, "outcome"),-10} {Time(a, "startedAt"),-20} {Num(a, "latencyMs"),7} " +
                $"{Num(a, "httpStatus"),5} {Num(a, "backoffMs"),8}  {Cut(Str(a, "workerId"), 20),-20} {Cut(Str(a, "reason"), 60)}");
        }
        return 0;
    }

    static async Task<int> Post(HttpClient http, Options options, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        return await Answer(response, options, path);
    }

    static async Task<int> Submit(HttpClient http, Options options, string file)
    {
        if (!File.Exists(file))
        {
            await Console.Error.WriteLineAsync($"submit: no such file '{file}'");
            return 2;
        }
        using var content = new StringContent(await File.ReadAllTextAsync(file), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("api/requests", UriKind.Relative), content);
        return await Answer(response, options, "submit");
    }

    /// <summary>What a submit or an action answered: the request's id and state (or the JSON), or the problem.</summary>
    static async Task<int> Answer(HttpResponseMessage response, Options options, string what)
    {
        if (await Problem(response, what) is { } code)
            return code;
        var text = await response.Content.ReadAsStringAsync();
        if (options.Json)
        {
            Console.WriteLine(text);
            return 0;
        }
        using var doc = JsonDocument.Parse(text);
        Console.WriteLine($"{Str(doc.RootElement, "requestId")}: {Str(doc.RootElement, "state")} ({(int)response.StatusCode})");
        return 0;
    }

    /// <summary>An error answer, printed from its problem details to stderr; null when the call succeeded.</summary>
    static async Task<int?> Problem(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode)
            return null;
        var body = await response.Content.ReadAsStringAsync();
        var detail = body;
        try
        {
            using var problem = JsonDocument.Parse(body);
            detail = $"{Str(problem.RootElement, "title")}: {Str(problem.RootElement, "detail")}";
        }
        catch (JsonException)
        {
            // Not problem details: print the body as it is.
        }
        await Console.Error.WriteLineAsync($"{what}: HTTP {(int)response.StatusCode} {detail}");
        return 1;
    }

    static Options? Parse(string[] args)
    {
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        var positional = new List<string>();
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var json = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "--retry":
                    flags.Add("retry");
                    break;
                case var option when option.StartsWith("--", StringComparison.Ordinal):
                    if (i + 1 >= args.Length)
                    {
                        Console.Error.WriteLine($"{option} needs a value");
                        return null;
                    }
                    named[option[2..]] = args[++i];
                    break;
                default:
                    positional.Add(args[i]);
                    break;
            }
        }
        var url = named.GetValueOrDefault("url") ?? Environment.GetEnvironmentVariable("ORCHESTRATOR_URL") ?? "http://127.0.0.1:5080";
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"--url must be an http(s) URL (got '{url}')");
            return null;
        }
        return new Options(uri, json, named, positional, flags);
    }

    static int Usage(string verb)
    {
        Console.Error.WriteLine(verb switch
        {
            "requests" => "usage: requests list [--state S] [--limit N] | requests show ID | requests cancel ID [--reason R]   [--url URL] [--json]",
            "review" => "usage: review approve ID [--reviewer R] [--note N] | review reject ID [--reason R] [--retry]   [--url URL] [--json]",
            _ => "usage: submit --file request.json [--url URL] [--json]",
        });
        return 2;
    }

    static string Escape(string id) => Uri.EscapeDataString(id);

    static string Str(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    static string Num(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetRawText() : "-";

    static string Time(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTime(out var at)
            ? at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : "-";

    static string Cut(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
