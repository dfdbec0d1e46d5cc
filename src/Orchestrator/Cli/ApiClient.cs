using System.Text.Json;
using static Orchestrator.Cli.CliOutput;

namespace Orchestrator.Cli;

/// <summary>
/// One verb's calls to the orchestrator's API. A successful answer comes back for the verb to print for people, or
/// with <c>--json</c> goes to stdout as it came; an error answer goes to stderr from its problem details, exit code 1.
/// </summary>
public sealed class ApiClient : IDisposable
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    readonly HttpClient _http;

    public ApiClient(Uri url, string? apiKey, bool json, TextWriter output, TextWriter error)
    {
        _http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is { Length: > 0 })
            _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        Json = json;
        Output = output;
        Error = error;
    }

    public bool Json { get; }
    public TextWriter Output { get; }
    public TextWriter Error { get; }

    /// <summary>GET: the body for the caller to print, or none when nothing is left to print (<c>Code</c> is then the exit code).</summary>
    public async Task<(int Code, JsonDocument? Body)> GetAsync(string path, string what)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
        return await ReceiveAsync(response, what);
    }

    /// <summary>POST a JSON body: the answer as for <see cref="GetAsync"/>.</summary>
    public async Task<(int Code, JsonDocument? Body)> PostAsync(string path, object body, string what)
    {
        using var response = await _http.PostAsJsonAsync(path, body);
        return await ReceiveAsync(response, what);
    }

    /// <summary>Any resource printed as its JSON (a dead letter's body included).</summary>
    public async Task<int> ShowAsync(string path, string what)
    {
        var (code, doc) = await GetAsync(path, what);
        if (doc is null)
            return code;
        using var owned = doc;
        await Output.WriteLineAsync(JsonSerializer.Serialize(doc.RootElement, Indented));
        return 0;
    }

    /// <summary>An action (cancel, approve, requeue, ...) with its JSON body; prints the id and state it answered.</summary>
    public async Task<int> ActAsync(string path, object body)
    {
        using var response = await _http.PostAsJsonAsync(path, body);
        return await AnswerAsync(response, path);
    }

    /// <summary>A request submitted as the JSON text given; prints its id and state.</summary>
    public async Task<int> SubmitAsync(string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri("api/requests", UriKind.Relative), content);
        return await AnswerAsync(response, "submit");
    }

    public void Dispose() => _http.Dispose();

    async Task<int> AnswerAsync(HttpResponseMessage response, string what)
    {
        var (code, doc) = await ReceiveAsync(response, what);
        if (doc is null)
            return code;
        using var owned = doc;
        var root = doc.RootElement;
        await Output.WriteLineAsync(root.TryGetProperty("requestId", out _)
            ? $"{Text(root, "requestId")}: {Text(root, "state")} ({(int)response.StatusCode})"
            : $"{root.GetProperty("id").GetInt64()}: {Text(root, "status")} ({(int)response.StatusCode})");
        return 0;
    }

    async Task<(int Code, JsonDocument? Body)> ReceiveAsync(HttpResponseMessage response, string what)
    {
        if (await ProblemAsync(response, what) is { } code)
            return (code, null);
        var text = await response.Content.ReadAsStringAsync();
        if (!Json)
            return (0, JsonDocument.Parse(text));
        await Output.WriteLineAsync(text);
        return (0, null);
    }

    /// <summary>An error answer, printed from its problem details to stderr; null when the call succeeded.</summary>
    async Task<int?> ProblemAsync(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode)
            return null;
        var body = await response.Content.ReadAsStringAsync();
        var detail = body;
        try
        {
            using var problem = JsonDocument.Parse(body);
            detail = $"{Text(problem.RootElement, "title")}: {Text(problem.RootElement, "detail")}";
        }
        catch (JsonException)
        {
            // Not problem details: print the body as it is.
        }
        await Error.WriteLineAsync($"{what}: HTTP {(int)response.StatusCode} {detail}");
        return 1;
    }
}
