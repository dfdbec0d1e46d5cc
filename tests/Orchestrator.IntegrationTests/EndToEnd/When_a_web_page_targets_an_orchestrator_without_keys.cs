using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// The default a newcomer runs (embedded, loopback, keys off), probed with what a web page the operator opens can
/// make the browser send: a cross-origin POST with a body that needs no CORS preflight, or a request under a name of
/// the attacker's that resolves to 127.0.0.1 (DNS rebinding). Refused, and the request is untouched; curl with
/// JSON, the dashboard's own calls and the CLI keep working.
/// </summary>
public sealed class When_a_web_page_targets_an_orchestrator_without_keys : IDisposable
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    readonly string _workingDirectory = Directory.CreateTempSubdirectory("orch-csrf-").FullName;

    [Fact]
    public async Task Should_refuse_cross_site_calls_and_foreign_hosts_and_serve_curl_the_dashboard_and_the_CLI()
    {
        var url = $"http://127.0.0.1:{ChildProcess.FreePort()}/";
        await using var server = ChildProcess.Start("embedded", RepoPaths.Orchestrator, ["--urls", url], new Dictionary<string, string>(), _workingDirectory);
        await server.WaitUntilHealthyAsync(url + "health/ready", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };

        // Requests waiting out a ten-minute backoff: there is time to act on them, and any action would show.
        foreach (var id in new[] { "csrf-1", "csrf-2" })
        {
            using var submitted = await http.PostAsJsonAsync("api/requests", new
            {
                requestId = id,
                model = "sim",
                messages = new[] { new { role = "user", content = $"{id} [[sim: 503, ok]]" } },
                retry = new { initialIntervalMs = 600_000, maximumIntervalMs = 600_000 },
            });
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
            await WaitForState(http, id, "RetryScheduled");
        }

        // What a page elsewhere can send without a preflight: text/plain, a form, multipart, or nothing.
        var attacks = new (string What, string? Origin, Func<HttpContent?> Body, HttpStatusCode Expected)[]
        {
            ("cross-origin text/plain", "http://evil.example", () => new StringContent("{}", Encoding.UTF8, "text/plain"), HttpStatusCode.Forbidden),
            ("cross-origin, no body", "http://evil.example", () => null, HttpStatusCode.Forbidden),
            ("cross-origin JSON", "http://evil.example", () => JsonContent.Create(new { reason = "x" }), HttpStatusCode.Forbidden),
            ("text/plain, no Origin", null, () => new StringContent("{}", Encoding.UTF8, "text/plain"), HttpStatusCode.UnsupportedMediaType),
            ("form, no Origin", null, () => new FormUrlEncodedContent([new("reason", "x")]), HttpStatusCode.UnsupportedMediaType),
            ("multipart, no Origin", null, () => new MultipartFormDataContent { { new StringContent("x"), "reason" } }, HttpStatusCode.UnsupportedMediaType),
        };
        foreach (var action in new[] { "cancel", "pause", "retry" })
        {
            foreach (var (what, origin, body, expected) in attacks)
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, new Uri($"api/requests/csrf-1/{action}", UriKind.Relative)) { Content = body() };
                if (origin is not null)
                    message.Headers.Add("Origin", origin);
                using var response = await http.SendAsync(message);
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == expected, $"{action}, {what}: got {(int)response.StatusCode} {text}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
        Assert.Equal("RetryScheduled", (await Show(http, "csrf-1")).GetProperty("state").GetString());

        // DNS rebinding: the attacker's name, resolved to 127.0.0.1, reaches the server with its own Host. Refused for
        // every request, reads and the dashboard included; loopback names pass.
        foreach (var path in new[] { "api/requests/csrf-1", "", "health/ready", "api/auth" })
        {
            using var rebound = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            rebound.Headers.Host = "evil.example";
            using var response = await http.SendAsync(rebound);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"GET /{path} with Host evil.example: {(int)response.StatusCode}");
            Assert.Contains("Host 'evil.example' is refused", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var rebound = new HttpRequestMessage(HttpMethod.Post, new Uri("api/requests/csrf-1/cancel", UriKind.Relative)) { Content = JsonContent.Create(new { }) })
        {
            rebound.Headers.Host = $"evil.example:{new Uri(url).Port}";
            using var response = await http.SendAsync(rebound);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        using (var local = new HttpRequestMessage(HttpMethod.Get, new Uri("api/requests/csrf-1", UriKind.Relative)))
        {
            local.Headers.Host = $"localhost:{new Uri(url).Port}";
            using var response = await http.SendAsync(local);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal("RetryScheduled", (await Show(http, "csrf-1")).GetProperty("state").GetString());
        // The log says so (as a JSON line, whose encoder escapes the quotes around the origin).
        Assert.Contains("API call refused with 403: with API keys off, a POST from another origin is refused", server.Output, StringComparison.Ordinal);

        // The dashboard: its own origin, a JSON body.
        using (var dashboard = new HttpRequestMessage(HttpMethod.Post, new Uri("api/requests/csrf-1/pause", UriKind.Relative)) { Content = JsonContent.Create(new { }) })
        {
            dashboard.Headers.Add("Origin", url.TrimEnd('/'));
            using var response = await http.SendAsync(dashboard);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        await WaitForState(http, "csrf-1", "Paused");

        // The CLI.
        var cli = await ChildProcess.RunAsync("cli", RepoPaths.Orchestrator, ["requests", "cancel", "csrf-1", "--reason", "from the CLI", "--url", url],
            new Dictionary<string, string>(), _workingDirectory, TimeSpan.FromSeconds(60));
        Assert.True(cli.Code == 0, cli.Output);
        var cancelled = await WaitForState(http, "csrf-1", "Cancelled");
        Assert.Equal("from the CLI", cancelled.GetProperty("reason").GetString());

        // curl: JSON, then no body at all (the resume runs the next attempt, which the script lets succeed).
        using (var paused = await http.PostAsJsonAsync("api/requests/csrf-2/pause", new { reason = "from curl" }))
            Assert.Equal(HttpStatusCode.Accepted, paused.StatusCode);
        await WaitForState(http, "csrf-2", "Paused");
        using (var resumed = await http.PostAsync(new Uri("api/requests/csrf-2/resume", UriKind.Relative), null))
            Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        await WaitForState(http, "csrf-2", "Succeeded");
    }

    static async Task<JsonElement> Show(HttpClient http, string id)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri($"api/requests/{id}", UriKind.Relative)));
        return document.RootElement.Clone();
    }

    static Task<JsonElement> WaitForState(HttpClient http, string id, string state) =>
        Eventually.Until(() => Show(http, id), r => r.GetProperty("state").GetString() == state, Wait, $"{id} {state}");

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
