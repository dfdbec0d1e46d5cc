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

    // For calls whose size has no bound (a batch file up, a results file down): the same client, without the 30 s limit.
    readonly Lazy<HttpClient> _long;

    public ApiClient(Uri url, string? apiKey, bool json, TextWriter output, TextWriter error)
    {
        _http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is { Length: > 0 })
            _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        _long = new(() =>
        {
            var http = new HttpClient { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan };
            if (apiKey is { Length: > 0 })
                http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
            return http;
        });
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

    /// <summary>POST a stream as the body (a batch file), with headers of its own: the answer as for <see cref="GetAsync"/>.</summary>
    public async Task<(int Code, JsonDocument? Body)> PostStreamAsync(string path, Stream body, string contentType,
        IReadOnlyDictionary<string, string> headers, string what)
    {
        using var content = new StreamContent(body, 64 * 1024);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = content };
        foreach (var (name, value) in headers)
            request.Headers.Add(name, value);
        using var response = await _long.Value.SendAsync(request);
        return await ReceiveAsync(response, what);
    }

    /// <summary>GET a text body of any size into <paramref name="destination"/> as it streams; 0, or 1 after an error answer.</summary>
    public async Task<int> DownloadAsync(string path, TextWriter destination, string what)
    {
        using var response = await _long.Value.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        if (await ProblemAsync(response, what) is { } code)
            return code;
        using var body = new StreamReader(await response.Content.ReadAsStreamAsync());
        var buffer = new char[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
            await destination.WriteAsync(buffer.AsMemory(0, read));
        await destination.FlushAsync();
        return 0;
    }

    /// <summary>GET for the verb's own use: the body parsed even with <c>--json</c>, nothing printed but an error.</summary>
    public async Task<(int Code, JsonDocument? Body)> ReadAsync(string path, string what)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
        if (await ProblemAsync(response, what) is { } code)
            return (code, null);
        return (0, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    public void Dispose()
    {
        _http.Dispose();
        if (_long.IsValueCreated)
            _long.Value.Dispose();
    }

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
            // A refused batch lists its bad lines.
            if (problem.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                detail += string.Concat(errors.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(e =>
                    $"\n  line {Number(e, "line")}{(e.TryGetProperty("customId", out var c) && c.ValueKind == JsonValueKind.String ? $" ({c.GetString()})" : "")}: {Text(e, "error")}"));
            }
        }
        catch (JsonException)
        {
            // Not problem details: print the body as it is.
        }
        await Error.WriteLineAsync($"{what}: HTTP {(int)response.StatusCode} {detail}");
        return 1;
    }
}
