using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.Dashboard;

/// <summary>
/// The embedded orchestrator with keys off, as a newcomer runs it, in a real headless Chromium: its own dashboard
/// acts on a request; a page on another origin posts to it as a form would; a name of the attacker's that resolves
/// to 127.0.0.1 (DNS rebinding) loads it. Only the first goes through.
/// </summary>
public sealed class When_a_browser_meets_an_orchestrator_without_keys : IAsyncLifetime, IDisposable
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    readonly string _workingDirectory = Directory.CreateTempSubdirectory("orch-browser-").FullName;
    ChildProcess _server = null!;
    HttpClient _api = null!;
    string _url = null!;
    int _port;
    IPlaywright _playwright = null!;
    IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("ORCH_TEST_CHROMIUM") is { Length: > 0 } fromScript ? fromScript : "/usr/bin/chromium";
        if (!File.Exists(chromium))
            throw new InvalidOperationException($"no Chromium at {chromium}: run scripts/install-browser.sh (scripts/test.sh does) or set ORCH_TEST_CHROMIUM");

        _port = ChildProcess.FreePort();
        _url = $"http://127.0.0.1:{_port}/";
        _server = ChildProcess.Start("embedded", RepoPaths.Orchestrator, ["--urls", _url], new Dictionary<string, string>(), _workingDirectory);
        await _server.WaitUntilHealthyAsync(_url + "health/ready", TimeSpan.FromSeconds(90));
        _api = new HttpClient { BaseAddress = new Uri(_url), Timeout = TimeSpan.FromSeconds(60) };

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-dev-shm-usage",
                // The attacker's name resolves to this machine, as after a DNS rebinding.
                "--host-resolver-rules=MAP evil.example 127.0.0.1",
                // Chromium's own guard against public pages calling local addresses is switched off: the server must
                // hold on its own, as it must for browsers that have no such guard.
                "--disable-features=PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks",
            ],
        });
        Assertions.SetDefaultExpectTimeout((float)Patience.TotalMilliseconds);
    }

    [Fact]
    public async Task Should_let_its_own_dashboard_act_and_refuse_a_page_elsewhere_and_a_rebound_name()
    {
        foreach (var id in new[] { "br-dash", "br-target" })
        {
            using var response = await _api.PostAsJsonAsync("api/requests", new
            {
                requestId = id,
                model = "sim",
                messages = new[] { new { role = "user", content = $"{id} [[sim: 503, ok]]" } },
                retry = new { initialIntervalMs = 600_000, maximumIntervalMs = 600_000 },
            });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            await WaitForState(id, "RetryScheduled");
        }

        // The dashboard, keys off: no key asked for, and its Pause goes through (same origin, JSON).
        var context = await _browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await page.GotoAsync(_url + "#/request/br-dash");
        await Assertions.Expect(page.Locator("#who-text")).ToContainTextAsync("keys off");
        await Assertions.Expect(page.Locator("#detail-state")).ToHaveTextAsync("RetryScheduled");
        await page.ClickAsync("#detail-actions button[data-action=pause]");
        await WaitForState("br-dash", "Paused");

        // A page on another origin posts to the cancel action the ways a form or a no-cors fetch can.
        await page.RouteAsync("http://attacker.example/", route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = "<!doctype html><title>cute cats</title>",
        }));
        await page.GotoAsync("http://attacker.example/");
        var target = $"{_url}api/requests/br-target/cancel";
        var sent = await page.EvaluateAsync<string[]>("""
            async target => {
              const tries = [
                { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: "{}" },
                { method: "POST", mode: "no-cors" },
                { method: "POST", mode: "no-cors", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "reason=x" },
              ];
              const results = [];
              for (const init of tries) {
                try { await fetch(target, init); results.push("sent"); } catch (e) { results.push("error: " + e); }
              }
              return results;
            }
            """, target);
        Assert.Equal(["sent", "sent", "sent"], sent);
        // The requests reached the server (so the refusal is the server's, not the browser's) and were refused.
        await Eventually.Until(() => CountOf("API call refused with 403: with API keys off, a POST from another origin is refused"), n => n >= 3,
            Patience, "three cross-origin refusals logged", () => _server.Output);
        Assert.Equal("RetryScheduled", (await GetAsync("br-target")).GetProperty("state").GetString());

        // DNS rebinding: evil.example now resolves to 127.0.0.1, so the page and the API are the same origin to the
        // browser; the server answers to loopback names only.
        var rebound = await page.GotoAsync($"http://evil.example:{_port}/");
        Assert.Equal(400, rebound!.Status);
        var status = await page.EvaluateAsync<int>("""
            async () => (await fetch("/api/requests/br-target/cancel", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })).status
            """);
        Assert.Equal(400, status);
        Assert.Equal("RetryScheduled", (await GetAsync("br-target")).GetProperty("state").GetString());
        await context.CloseAsync();
    }

    int CountOf(string text)
    {
        var output = _server.Output;
        var count = 0;
        for (var at = output.IndexOf(text, StringComparison.Ordinal); at >= 0; at = output.IndexOf(text, at + text.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    async Task<JsonElement> GetAsync(string id)
    {
        using var document = JsonDocument.Parse(await _api.GetStringAsync(new Uri($"api/requests/{id}", UriKind.Relative)));
        return document.RootElement.Clone();
    }

    Task<JsonElement> WaitForState(string id, string state) =>
        Eventually.Until(() => GetAsync(id), r => r.GetProperty("state").GetString() == state, Patience, $"{id} in {state}", () => _server.Output);

    public void Dispose() => _api?.Dispose();

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_server is not null)
            await _server.DisposeAsync();
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
