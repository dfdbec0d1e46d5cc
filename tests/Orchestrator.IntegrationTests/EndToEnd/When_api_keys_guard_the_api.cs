using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// Access control as a user configures it: the built orchestrator (embedded, so it starts in seconds) with keys
/// required, probed on every endpoint its OpenAPI document lists, so an endpoint added later is covered too.
/// </summary>
public sealed class When_api_keys_guard_the_api : IDisposable
{
    const string SubmitKey = "svc-submit-key-0123456789";
    const string OperateKey = "ops-operate-key-0123456789";

    /// <summary>Endpoints anyone may call: probes, the API description and the key check itself.</summary>
    static readonly HashSet<string> Open = new(StringComparer.Ordinal) { "GET /api/auth" };

    /// <summary>Endpoints a submit-only key may call.</summary>
    static readonly HashSet<string> ForSubmitters = new(StringComparer.Ordinal)
    {
        "POST /api/requests", "GET /api/requests/{requestId}", "POST /api/batches", "GET /api/batches/{batchId}", "GET /api/batches/{batchId}/results",
    };

    readonly string _workingDirectory = Directory.CreateTempSubdirectory("orch-keys-").FullName;

    [Fact]
    public async Task Should_answer_each_key_on_every_endpoint_as_its_scopes_allow()
    {
        var (server, url) = await StartAsync(KeysRequired());
        await using var _ = server;
        using var anonymous = Client(url, null);
        using var wrong = Client(url, "not-a-key-but-long-enough");
        using var submitter = Client(url, SubmitKey);
        using var operatorClient = Client(url, OperateKey);

        // A request to act on, so the operator's calls reach their handlers.
        using (var submitted = await submitter.PostAsJsonAsync("api/requests", new { requestId = "keys-1", model = "sim", messages = new[] { new { role = "user", content = "keys-1 hello" } } }))
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);

        using var document = JsonDocument.Parse(await anonymous.GetStringAsync(new Uri("openapi/v1.json", UriKind.Relative)));
        var endpoints = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(method => (Method: method.Name.ToUpperInvariant(), Path: path.Name)))
            .ToList();
        Assert.True(endpoints.Count >= 13, $"the OpenAPI document lists only {endpoints.Count} endpoints: {string.Join(", ", endpoints)}");
        foreach (var required in new[] { "POST /api/requests", "GET /api/requests", "POST /api/requests/{requestId}/retry", "POST /api/requests/bulk/{action}", "GET /api/counts" })
            Assert.Contains(required, endpoints.Select(e => $"{e.Method} {e.Path}"));

        var failures = new List<string>();
        foreach (var (method, path) in endpoints)
        {
            var name = $"{method} {path}";
            var open = Open.Contains(name);
            var submitAllowed = open || ForSubmitters.Contains(name);

            var none = await Call(anonymous, method, path);
            Expect(name, "no key", none, open ? null : HttpStatusCode.Unauthorized, failures);
            var bad = await Call(wrong, method, path);
            Expect(name, "wrong key", bad, open ? null : HttpStatusCode.Unauthorized, failures);
            var submit = await Call(submitter, method, path);
            Expect(name, "submit key", submit, submitAllowed ? null : HttpStatusCode.Forbidden, failures);
            var operate = await Call(operatorClient, method, path);
            Expect(name, "operate key", operate, null, failures);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + server.Output);

        // What the refusals say.
        using var missing = await anonymous.GetAsync(new Uri("api/requests", UriKind.Relative));
        Assert.Equal("ApiKey header=\"X-Api-Key\"", missing.Headers.WwwAuthenticate.ToString());
        Assert.Contains("needs an API key in the X-Api-Key header", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var invalid = await wrong.GetAsync(new Uri("api/requests", UriKind.Relative));
        Assert.Contains("does not hold a valid API key", await invalid.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var forbidden = await submitter.GetAsync(new Uri("api/requests", UriKind.Relative));
        Assert.Contains("needs an API key with scope 'operate'; key 'svc' has submit", await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Probes and scrapes stay open; /api/auth tells the dashboard who it is talking to.
        foreach (var probe in new[] { "health/live", "health/ready", "metrics" })
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri(probe, UriKind.Relative))).StatusCode);
        using (var who = JsonDocument.Parse(await operatorClient.GetStringAsync(new Uri("api/auth", UriKind.Relative))))
        {
            Assert.True(who.RootElement.GetProperty("keysRequired").GetBoolean());
            Assert.Equal("ops", who.RootElement.GetProperty("key").GetString());
            Assert.Equal(["operate"], who.RootElement.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        }
        Assert.Contains("API keys required: 2 key(s) configured (svc, ops)", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(SubmitKey, server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(OperateKey, server.Output, StringComparison.Ordinal);

        // The CLI sends the key from --api-key or ORCHESTRATOR_API_KEY, and says so when it is refused.
        Task<(int Code, string Output)> Cli(Dictionary<string, string> environment, params string[] args) =>
            ChildProcess.RunAsync("cli", RepoPaths.Orchestrator, [.. args, "--url", url], environment, _workingDirectory, TimeSpan.FromSeconds(60));
        var refused = await Cli([], "requests", "list");
        Assert.Equal(1, refused.Code);
        Assert.Contains("HTTP 401", refused.Output, StringComparison.Ordinal);
        var byOption = await Cli([], "requests", "list", "--api-key", OperateKey, "--json");
        Assert.True(byOption.Code == 0, byOption.Output);
        Assert.Contains("keys-1", byOption.Output, StringComparison.Ordinal);
        var byEnvironment = await Cli(new() { ["ORCHESTRATOR_API_KEY"] = SubmitKey }, "requests", "show", "keys-1");
        Assert.True(byEnvironment.Code == 0, byEnvironment.Output);
        var submitOnly = await Cli(new() { ["ORCHESTRATOR_API_KEY"] = SubmitKey }, "requests", "cancel", "keys-1");
        Assert.Equal(1, submitOnly.Code);
        Assert.Contains("HTTP 403", submitOnly.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_limit_submissions_per_key_with_429_and_Retry_After()
    {
        var settings = KeysRequired();
        settings["Orchestrator__Api__SubmitPermitsPerSecond"] = "1";
        settings["Orchestrator__Api__SubmitBurst"] = "3";
        var (server, url) = await StartAsync(settings);
        await using var _ = server;
        using var submitter = Client(url, SubmitKey);
        using var operatorClient = Client(url, OperateKey);

        // Warm the submit path up on another key (its own bucket), then ten at once against a burst of 3 plus one
        // token a second: a token bucket accepts at most burst + rate x elapsed, whatever the box's speed.
        using (var warm = await operatorClient.PostAsJsonAsync("api/requests", new { requestId = "rate-warm", model = "sim", messages = new[] { new { role = "user", content = "rate-warm" } } }))
            Assert.Equal(HttpStatusCode.Accepted, warm.StatusCode);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            submitter.PostAsJsonAsync("api/requests", new { requestId = $"rate-{i}", model = "sim", messages = new[] { new { role = "user", content = $"rate-{i}" } } })));
        var elapsed = clock.Elapsed;
        var codes = string.Join(", ", responses.Select(r => r.StatusCode));
        var accepted = responses.Count(r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.True(accepted >= 3, codes);
        Assert.True(accepted <= 3 + (int)Math.Ceiling(elapsed.TotalSeconds), $"{accepted} accepted in {elapsed.TotalSeconds:F1} s: {codes}");
        Assert.Equal(10 - accepted, responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.True(accepted < 10, $"no submission was refused in {elapsed.TotalSeconds:F1} s: {codes}");
        var refused = responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("key 'svc' may submit 1 requests per second", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var response in responses)
            response.Dispose();
    }

    [Fact]
    public async Task Should_leave_keys_off_embedded_on_loopback_and_say_so()
    {
        var (server, url) = await StartAsync([]);
        await using var _ = server;
        using var anonymous = Client(url, null);
        using (var who = JsonDocument.Parse(await anonymous.GetStringAsync(new Uri("api/auth", UriKind.Relative))))
            Assert.False(who.RootElement.GetProperty("keysRequired").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri("api/requests", UriKind.Relative))).StatusCode);
        Assert.Contains("API keys are OFF: embedded mode listening on loopback only", server.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://0.0.0.0:{port}", new string[0], "API keys are required but none is configured")]
    [InlineData("http://127.0.0.1:{port}", new[] { "Orchestrator__Api__RequireKeys", "true" }, "Orchestrator:Api:RequireKeys=false")]
    [InlineData("http://127.0.0.1:{port}", new[] { "Orchestrator__Api__Keys__0__Name", "x", "Orchestrator__Api__Keys__0__Key", "short", "Orchestrator__Api__Keys__0__Scopes", "submit" },
        "Orchestrator:Api:Keys:0:Key must be at least 16 characters")]
    public async Task Should_refuse_to_start_without_usable_keys_where_they_are_required(string urls, string[] environment, string expected)
    {
        var settings = new Dictionary<string, string>();
        for (var i = 0; i < environment.Length; i += 2)
            settings[environment[i]] = environment[i + 1];
        await using var server = ChildProcess.Start("embedded", RepoPaths.Orchestrator,
            ["--urls", urls.Replace("{port}", ChildProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)],
            settings, _workingDirectory);
        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(expected, server.Output, StringComparison.Ordinal);
    }

    // A Kestrel:Endpoints setting overrides --urls: what counts is the address the server bound, both ways.
    [Fact]
    public async Task Should_require_keys_where_Kestrel_endpoints_bind_beyond_loopback_whatever_urls_says()
    {
        var open = ChildProcess.FreePort();
        await using var server = ChildProcess.Start("embedded", RepoPaths.Orchestrator, ["--urls", $"http://127.0.0.1:{ChildProcess.FreePort()}"],
            new Dictionary<string, string> { ["Kestrel__Endpoints__Api__Url"] = $"http://0.0.0.0:{open}" }, _workingDirectory);
        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"API keys are required but none is configured (required: the orchestrator listens beyond loopback (http://0.0.0.0:{open}))",
            server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_leave_keys_off_where_Kestrel_endpoints_bind_loopback_only_whatever_urls_says()
    {
        var port = ChildProcess.FreePort();
        var url = $"http://127.0.0.1:{port}/";
        await using var server = ChildProcess.Start("embedded", RepoPaths.Orchestrator, ["--urls", $"http://0.0.0.0:{ChildProcess.FreePort()}"],
            new Dictionary<string, string> { ["Kestrel__Endpoints__Api__Url"] = url }, _workingDirectory);
        await server.WaitUntilHealthyAsync(url + "health/ready", TimeSpan.FromSeconds(60));
        using var anonymous = Client(url, null);
        using (var who = JsonDocument.Parse(await anonymous.GetStringAsync(new Uri("api/auth", UriKind.Relative))))
            Assert.False(who.RootElement.GetProperty("keysRequired").GetBoolean());
        Assert.Contains($"API keys are OFF: embedded mode listening on loopback only. Anyone who can reach http://127.0.0.1:{port} may submit",
            server.Output, StringComparison.Ordinal);
        // Loopback only, so only loopback names are answered.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, new Uri("api/auth", UriKind.Relative));
        rebound.Headers.Host = "evil.example";
        using var refused = await anonymous.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    static Dictionary<string, string> KeysRequired() => new()
    {
        ["Orchestrator__Api__RequireKeys"] = "true",
        ["Orchestrator__Api__Keys__0__Name"] = "svc",
        ["Orchestrator__Api__Keys__0__Key"] = SubmitKey,
        ["Orchestrator__Api__Keys__0__Scopes"] = "submit",
        ["Orchestrator__Api__Keys__1__Name"] = "ops",
        ["Orchestrator__Api__Keys__1__Key"] = OperateKey,
        ["Orchestrator__Api__Keys__1__Scopes"] = "operate",
        ["Logging__LogLevel__Default"] = "Information",
    };

    async Task<(ChildProcess Server, string Url)> StartAsync(Dictionary<string, string> settings)
    {
        var url = $"http://127.0.0.1:{ChildProcess.FreePort()}/";
        var server = ChildProcess.Start("embedded", RepoPaths.Orchestrator, ["--urls", url], settings, _workingDirectory);
        await server.WaitUntilHealthyAsync(url + "health/ready", TimeSpan.FromSeconds(60));
        return (server, url);
    }

    static HttpClient Client(string url, string? key)
    {
        var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
            http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return http;
    }

    /// <summary>Calls the endpoint with its path parameters filled in and, for POST, an empty JSON object.</summary>
    static async Task<(HttpStatusCode Status, string Body)> Call(HttpClient http, string method, string path)
    {
        var concrete = path.Replace("{requestId}", "keys-1", StringComparison.Ordinal).Replace("{action}", "retry", StringComparison.Ordinal).TrimStart('/');
        using var message = new HttpRequestMessage(new HttpMethod(method), new Uri(concrete, UriKind.Relative));
        if (method == "POST")
            message.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(message);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Records a mismatch: <paramref name="expected"/> exactly, or (null) anything but 401 and 403.</summary>
    static void Expect(string endpoint, string who, (HttpStatusCode Status, string Body) actual, HttpStatusCode? expected, List<string> failures)
    {
        var ok = expected is { } code
            ? actual.Status == code && actual.Body.Contains("\"status\":" + (int)code, StringComparison.Ordinal)
            : actual.Status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden);
        if (!ok)
            failures.Add($"{endpoint} with {who}: got {(int)actual.Status} {actual.Body}, expected {(expected is { } e ? ((int)e).ToString(System.Globalization.CultureInfo.InvariantCulture) : "neither 401 nor 403")}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_workingDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A process still releasing its files; the temp folder is cleaned by the OS eventually.
        }
    }
}
