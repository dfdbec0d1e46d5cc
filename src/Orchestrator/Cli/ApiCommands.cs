using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Orchestrator.Cli;

/// <summary>
/// The operator verbs, against a running orchestrator's API (<c>--url</c>, else <c>ORCHESTRATOR_URL</c>, else
/// http://127.0.0.1:5080; the API key from <c>--api-key</c>, else <c>ORCHESTRATOR_API_KEY</c>):
/// <c>requests list|show</c>, <c>requests retry|cancel|pause|resume ID</c> or, with filter options instead of an
/// id, the same action in bulk (<c>--dry-run</c> counts first), <c>review approve|reject</c>, <c>submit --file</c>.
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
        if ((options.Named.GetValueOrDefault("api-key") ?? Environment.GetEnvironmentVariable("ORCHESTRATOR_API_KEY")) is { Length: > 0 } key)
            http.DefaultRequestHeaders.Add("X-Api-Key", key);
        try
        {
            return (verb, options.Positional) switch
            {
                ("requests", ["list"]) => await List(http, options),
                ("requests", ["show", var id]) => await Show(http, options, id),
                ("requests", [var action and ("retry" or "cancel" or "pause" or "resume"), var id]) =>
                    await Post(http, options, $"api/requests/{Escape(id)}/{action}", new { reason = options.Named.GetValueOrDefault("reason") }),
                ("requests", [var action and ("retry" or "cancel" or "pause" or "resume")]) when Filter(options).Count > 0 =>
                    await Bulk(http, options, action),
                ("review", ["approve", var id]) => await Post(http, options, $"api/requests/{Escape(id)}/approve",
                    new { reviewer = options.Named.GetValueOrDefault("reviewer"), note = options.Named.GetValueOrDefault("note") }),
                ("review", ["reject", var id]) => await Post(http, options, $"api/requests/{Escape(id)}/reject",
                    new { reviewer = options.Named.GetValueOrDefault("reviewer"), reason = options.Named.GetValueOrDefault("reason"), retry = options.Flags.Contains("retry") }),
                ("submit", []) when options.Named.TryGetValue("file", out var file) => await Submit(http, options, file),
                ("fleet", []) => await Fleet(http, options),
                ("dead-letters", ["list"]) => await DeadLetters(http, options),
                ("dead-letters", ["show", var id]) when long.TryParse(id, out _) => await Show(http, options, $"api/dead-letters/{id}", "dead-letters show"),
                ("dead-letters", [var action and ("requeue" or "discard"), var id]) when long.TryParse(id, out _) =>
                    await Post(http, options, $"api/dead-letters/{id}/{action}", new { }),
                _ => Usage(verb),
            };
        }
        catch (HttpRequestException exception)
        {
            await Console.Error.WriteLineAsync($"{verb}: cannot reach the orchestrator at {options.Url}: {exception.Message}");
            return 1;
        }
    }

    /// <summary>The filter options given (<c>--state</c>, <c>--model</c>, ...), keyed by the API's field names.</summary>
    static Dictionary<string, string> Filter(Options options) =>
        FilterOptions.Where(f => options.Named.ContainsKey(f.Option)).ToDictionary(f => f.Field, f => options.Named[f.Option], StringComparer.Ordinal);

    static readonly (string Option, string Field)[] FilterOptions =
    [
        ("state", "state"), ("model", "model"), ("failure-kind", "failureKind"), ("min-attempts", "minAttempts"),
        ("id-prefix", "idPrefix"), ("created-from", "createdFrom"), ("created-to", "createdTo"),
        ("updated-from", "updatedFrom"), ("updated-to", "updatedTo"), ("priority", "priority"),
    ];

    static async Task<int> Bulk(HttpClient http, Options options, string action)
    {
        var filter = Filter(options).ToDictionary(f => f.Key, f => f.Key is "minAttempts" or "priority" && int.TryParse(f.Value, out var n) ? (object)n : f.Value);
        var dryRun = options.Flags.Contains("dry-run");
        using var response = await http.PostAsJsonAsync($"api/requests/bulk/{action}",
            new { filter, dryRun, reason = options.Named.GetValueOrDefault("reason") });
        var (code, doc) = await ReceiveAsync(response, options, $"requests {action}");
        if (doc is null)
            return code;
        using var owned = doc;
        var r = doc.RootElement;
        Console.WriteLine($"{action}{(dryRun ? " (dry run)" : "")}: matched {r.GetProperty("matched").GetInt32()}, " +
            $"{(dryRun ? "would act on" : "accepted")} {r.GetProperty("accepted").GetInt32()}, skipped {r.GetProperty("skipped").GetInt32()}" +
            (r.GetProperty("more").GetBoolean() ? "; more match: run it again" : ""));
        return 0;
    }

    static async Task<int> List(HttpClient http, Options options)
    {
        var query = new StringBuilder("api/requests?limit=").Append(Uri.EscapeDataString(options.Named.GetValueOrDefault("limit", "50")));
        foreach (var (field, value) in Filter(options))
            query.Append('&').Append(field).Append('=').Append(Uri.EscapeDataString(value));
        using var response = await http.GetAsync(new Uri(query.ToString(), UriKind.Relative));
        var (code, page) = await ReceiveAsync(response, options, "requests list");
        if (page is null)
            return code;
        using var owned = page;
        Console.WriteLine($"{"REQUEST",-40} {"STATE",-15} {"ATTEMPT",7}  {"UPDATED (UTC)",-20} REASON");
        foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
        {
            Console.WriteLine($"{Cut(Str(item, "requestId"), 40),-40} {Str(item, "state"),-15} {item.GetProperty("attempt").GetInt32(),7}  " +
                $"{Time(item, "updatedAt"),-20} {Cut(Str(item, "reason"), 60)}");
        }
        return 0;
    }

    static async Task<int> DeadLetters(HttpClient http, Options options)
    {
        var query = $"api/dead-letters?status={Uri.EscapeDataString(options.Named.GetValueOrDefault("status", "Pending"))}" +
                    $"&limit={Uri.EscapeDataString(options.Named.GetValueOrDefault("limit", "50"))}";
        using var response = await http.GetAsync(new Uri(query, UriKind.Relative));
        var (code, page) = await ReceiveAsync(response, options, "dead-letters list");
        if (page is null)
            return code;
        using var owned = page;
        Console.WriteLine($"{"ID",8}  {"RECEIVED (UTC)",-20} {"QUEUE",-26} {"STATUS",-10} {"REQUEST",-24} REASON");
        foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
        {
            Console.WriteLine($"{item.GetProperty("id").GetInt64(),8}  {Time(item, "receivedAt"),-20} {Cut(Str(item, "queue"), 26),-26} " +
                $"{Str(item, "status"),-10} {Cut(Str(item, "requestId"), 24),-24} {Cut(Str(item, "reason"), 80)}");
        }
        Console.WriteLine($"{page.RootElement.GetProperty("pending").GetInt32()} pending");
        return 0;
    }

    /// <summary>The live workers, each endpoint's cooldown and breakers, and the held models (<c>GET /api/fleet</c>).</summary>
    static async Task<int> Fleet(HttpClient http, Options options)
    {
        using var response = await http.GetAsync(new Uri("api/fleet", UriKind.Relative));
        var (code, fleet) = await ReceiveAsync(response, options, "fleet");
        if (fleet is null)
            return code;
        using var owned = fleet;
        var root = fleet.RootElement;
        var workers = root.GetProperty("workers").EnumerateArray().ToList();
        Console.WriteLine($"{workers.Count} live worker(s): " +
            string.Join(", ", workers.Select(w => $"{Str(w, "workerId")} ({w.GetProperty("inFlight").GetInt32()} in flight)")));
        Console.WriteLine($"{"MODEL",-12} {"ENDPOINT",-24} {"PRIO",4} {"IN FLIGHT",9}  {"COOLING UNTIL (UTC)",-20} BREAKERS");
        foreach (var endpoint in root.GetProperty("endpoints").EnumerateArray())
        {
            var breakers = string.Join(", ", endpoint.GetProperty("breakers").EnumerateArray().Select(b => $"{Str(b, "workerId")}: {Str(b, "state")}"));
            Console.WriteLine($"{Cut(Str(endpoint, "model"), 12),-12} {Cut(Str(endpoint, "endpoint"), 24),-24} {endpoint.GetProperty("priority").GetInt32(),4} " +
                $"{endpoint.GetProperty("inFlight").GetInt32(),9}  {Time(endpoint, "coolingUntil"),-20} {breakers}");
            if (Str(endpoint, "coolingReason") is { Length: > 0 } why)
                Console.WriteLine($"{"",-12} cooling down: {why}");
        }
        foreach (var hold in root.GetProperty("holds").EnumerateArray())
            Console.WriteLine($"held: model {Str(hold, "model")} until {Time(hold, "until")}: {Str(hold, "reason")}");
        return 0;
    }

    /// <summary>Any resource printed as its JSON (the dead letter's body included).</summary>
    static async Task<int> Show(HttpClient http, Options options, string path, string what)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var (code, doc) = await ReceiveAsync(response, options, what);
        if (doc is null)
            return code;
        using var owned = doc;
        Console.WriteLine(JsonSerializer.Serialize(doc.RootElement, Indented));
        return 0;
    }

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    static async Task<int> Show(HttpClient http, Options options, string id)
    {
        using var response = await http.GetAsync(new Uri($"api/requests/{Escape(id)}", UriKind.Relative));
        var (code, doc) = await ReceiveAsync(response, options, "requests show");
        if (doc is null)
            return code;
        using var owned = doc;
        var r = doc.RootElement;
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
        var (code, doc) = await ReceiveAsync(response, options, what);
        if (doc is null)
            return code;
        using var owned = doc;
        Console.WriteLine(doc.RootElement.TryGetProperty("requestId", out _)
            ? $"{Str(doc.RootElement, "requestId")}: {Str(doc.RootElement, "state")} ({(int)response.StatusCode})"
            : $"{doc.RootElement.GetProperty("id").GetInt64()}: {Str(doc.RootElement, "status")} ({(int)response.StatusCode})");
        return 0;
    }

    /// <summary>
    /// A successful answer's body, for the caller to print for people; or no body when nothing is left to print:
    /// an error went to stderr (<c>Code</c> is the exit code) or, with <c>--json</c>, the body went to stdout as it came.
    /// </summary>
    static async Task<(int Code, JsonDocument? Body)> ReceiveAsync(HttpResponseMessage response, Options options, string what)
    {
        if (await Problem(response, what) is { } code)
            return (code, null);
        var text = await response.Content.ReadAsStringAsync();
        if (!options.Json)
            return (0, JsonDocument.Parse(text));
        Console.WriteLine(text);
        return (0, null);
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
                case "--retry" or "--dry-run":
                    flags.Add(args[i][2..]);
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
            "requests" => """
                usage: requests list [FILTER] [--limit N]
                       requests show ID
                       requests retry|cancel|pause|resume ID [--reason R]
                       requests retry|cancel|pause|resume FILTER [--dry-run] [--reason R]     (bulk: every matching request)
                FILTER: --state S --model M --failure-kind K --min-attempts N --id-prefix P --priority N
                        --created-from T --created-to T --updated-from T --updated-to T
                every verb: [--url URL] [--api-key KEY] [--json]
                """,
            "dead-letters" => "usage: dead-letters list [--status Pending|Requeued|Discarded|all] [--limit N] | dead-letters show|requeue|discard ID   [--url URL] [--api-key KEY] [--json]",
            "fleet" => "usage: fleet   [--url URL] [--api-key KEY] [--json]",
            "review" => "usage: review approve ID [--reviewer R] [--note N] | review reject ID [--reason R] [--retry]   [--url URL] [--api-key KEY] [--json]",
            _ => "usage: submit --file request.json [--url URL] [--api-key KEY] [--json]",
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
