using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard in a real headless Chromium (Debian's, driven by Playwright), against the built orchestrator in
/// embedded mode with API keys required: the page asks for the operator key, then submits, watches, retries,
/// approves and bulk-cancels, and leaves a screenshot in the test results.
/// </summary>
public sealed class When_an_operator_uses_the_dashboard : IAsyncLifetime, IDisposable
{
    const string OperateKey = "dashboard-operator-key-0123";
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);
    static readonly string[] BatchLines = ["pw-b1", "pw-b2", "pw-b3"];

    readonly string _workingDirectory = Directory.CreateTempSubdirectory("orch-dashboard-").FullName;
    ChildProcess _server = null!;
    HttpClient _api = null!;
    string _url = null!;
    IPlaywright _playwright = null!;
    IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("ORCH_TEST_CHROMIUM") is { Length: > 0 } fromScript ? fromScript : "/usr/bin/chromium";
        if (!File.Exists(chromium))
            throw new InvalidOperationException($"no Chromium at {chromium}: run scripts/install-browser.sh (scripts/test.sh does) or set ORCH_TEST_CHROMIUM");

        _url = $"http://127.0.0.1:{ChildProcess.FreePort()}/";
        _server = ChildProcess.Start("embedded", RepoPaths.Orchestrator, ["--urls", _url], new Dictionary<string, string>
        {
            ["Orchestrator__Api__RequireKeys"] = "true",
            ["Orchestrator__Api__Keys__0__Name"] = "ops",
            ["Orchestrator__Api__Keys__0__Key"] = OperateKey,
            ["Orchestrator__Api__Keys__0__Scopes"] = "operate",
            // Several scripted 503s in a row below; an open breaker would turn their waits into circuit-open holds.
            ["Workers__CircuitBreaker__Enabled"] = "false",
            // Callbacks to the test's own receiver on 127.0.0.1.
            ["Orchestrator__Callbacks__SigningSecret"] = "whsec_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Orchestrator__Callbacks__AllowedHosts__0"] = "127.0.0.1",
            ["Orchestrator__Callbacks__PollInterval"] = "00:00:00.100",
        }, _workingDirectory);
        await _server.WaitUntilHealthyAsync(_url + "health/ready", TimeSpan.FromSeconds(90));
        _api = new HttpClient { BaseAddress = new Uri(_url), Timeout = TimeSpan.FromSeconds(60) };
        _api.DefaultRequestHeaders.Add("X-Api-Key", OperateKey);

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        Assertions.SetDefaultExpectTimeout((float)Patience.TotalMilliseconds);
    }

    [Fact]
    public async Task Should_show_every_callback_delivery_and_redeliver_a_failed_one()
    {
        await using var receiver = new CallbackReceiver();
        using (var submit = await _api.PostAsJsonAsync("api/requests", new
        {
            requestId = "pw-cb",
            model = "sim",
            messages = new[] { new { role = "user", content = "hello" } },
            callback = new { url = receiver.Url("gone/pw-cb") },
        }))
        {
            Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
        }
        await CallbackInState("pw-cb", "Failed");

        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _url, ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.FillAsync("#key-dialog input[name=key]", OperateKey);
        await page.ClickAsync("#key-dialog button[value=save]");
        await Assertions.Expect(page.Locator("#who-text")).ToHaveTextAsync("key: ops (operate)");

        await page.GotoAsync("/#/request/pw-cb");
        await Assertions.Expect(page.Locator("#callback-url")).ToHaveTextAsync($"{receiver.Url("gone/pw-cb")} (Failed)");
        var rows = page.Locator("#callback-table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("inference.succeeded");
        await Assertions.Expect(rows.First).ToContainTextAsync("410 Gone: the receiver wants no more deliveries");

        receiver.Heal();
        await page.ClickAsync("#callback-table button[data-action=redeliver]");
        await CallbackInState("pw-cb", "Delivered");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#callback-url")).ToHaveTextAsync($"{receiver.Url("gone/pw-cb")} (Delivered)");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("200");
        Assert.Equal([410, 200], receiver.For("gone/pw-cb").Select(p => p.AnsweredStatus));
        await context.CloseAsync();
    }

    Task<string> CallbackInState(string requestId, string state) =>
        Eventually.Until(() => _api.GetStringAsync(new Uri($"api/requests/{requestId}", UriKind.Relative)),
            b => JsonDocument.Parse(b).RootElement.GetProperty("callback") is { ValueKind: JsonValueKind.Object } callback &&
                 callback.GetProperty("state").ValueKind == JsonValueKind.String && callback.GetProperty("state").GetString() == state,
            Patience, $"{requestId}'s callback {state}", () => _server.Output);

    [Fact]
    public async Task Should_ask_for_the_key_then_submit_watch_retry_approve_and_bulk_cancel()
    {
        // GET / is the page itself, not a redirect, and needs no key.
        using (var plain = new HttpClient { BaseAddress = new Uri(_url) })
        using (var root = await plain.GetAsync(new Uri("/", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, root.StatusCode);
            Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
            Assert.Contains("<title>Inference orchestrator</title>", await root.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _url, ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += async (_, dialog) =>
        {
            lock (dialogs)
                dialogs.Add(dialog.Message);
            await dialog.AcceptAsync();
        };
        var consoleErrors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                consoleErrors.Add(message.Text);
        };

        // Keys are required: the page asks for the operator key before it shows anything.
        await page.GotoAsync("/");
        var keyDialog = page.Locator("#key-dialog");
        await Assertions.Expect(keyDialog).ToBeVisibleAsync();
        await page.FillAsync("#key-dialog input[name=key]", OperateKey);
        await page.ClickAsync("#key-dialog button[value=save]");
        await Assertions.Expect(page.Locator("#who-text")).ToHaveTextAsync("key: ops (operate)");

        // Submit from the page and watch the request reach Succeeded.
        await page.GotoAsync("/#/requests");
        await page.ClickAsync("#submit-panel summary");
        await page.FillAsync("#submit-form input[name=requestId]", "pw-ok");
        await page.FillAsync("#submit-form textarea[name=prompt]", "pw-ok: say hello");
        await page.ClickAsync("#submit-form button[type=submit]");
        await page.WaitForURLAsync("**/#/request/pw-ok");
        await Assertions.Expect(page.Locator("#detail-state")).ToHaveTextAsync("Succeeded");
        await Assertions.Expect(page.Locator("#detail-output")).ToContainTextAsync("Simulated answer");
        await Assertions.Expect(page.Locator("#timeline-svg rect[data-attempt]")).ToHaveCountAsync(1);

        // A permanently failed request, retried from its page: run 2 succeeds, and the timeline shows both attempts.
        await Submit("pw-fail", "pw-fail [[sim: 400, ok]]");
        await WaitForState("pw-fail", "Failed");
        await page.GotoAsync("/#/request/pw-fail");
        await Assertions.Expect(page.Locator("#detail-state")).ToHaveTextAsync("Failed");
        await page.ClickAsync("#detail-actions button[data-action=retry]");
        await Assertions.Expect(page.Locator("#detail-state")).ToHaveTextAsync("Succeeded");
        await Assertions.Expect(page.Locator("#timeline-svg rect[data-attempt]")).ToHaveCountAsync(2);
        Assert.Equal(2, (await GetAsync("pw-fail")).GetProperty("run").GetInt32());

        // A low-confidence answer waits in the review queue; approve it there.
        await Submit("pw-review", "pw-review [[sim: lowconf]]");
        await WaitForState("pw-review", "AwaitingReview");
        await page.GotoAsync("/#/review");
        await page.ClickAsync("#review-table tr[data-request=pw-review] button[data-action=approve]");
        await WaitForState("pw-review", "Succeeded");

        // Bulk-cancel by filter: three requests waiting out a two-minute backoff match the prefix; one does not.
        foreach (var id in new[] { "pw-bulk-1", "pw-bulk-2", "pw-bulk-3", "pw-keep" })
            await Submit(id, $"{id} [[sim: 503, ok]]", new { initialIntervalMs = 120_000, maximumIntervalMs = 120_000 });
        foreach (var id in new[] { "pw-bulk-1", "pw-bulk-2", "pw-bulk-3", "pw-keep" })
            await WaitForState(id, "RetryScheduled");
        await page.GotoAsync("/#/requests");
        await page.FillAsync("#filter-form input[name=idPrefix]", "pw-bulk");
        await page.ClickAsync("#filter-form button[type=submit]");
        await Assertions.Expect(page.Locator("#request-table tbody tr")).ToHaveCountAsync(3);
        await page.ClickAsync("button[data-bulk=cancel]");
        foreach (var id in new[] { "pw-bulk-1", "pw-bulk-2", "pw-bulk-3" })
            await WaitForState(id, "Cancelled");
        Assert.Equal("RetryScheduled", (await GetAsync("pw-keep")).GetProperty("state").GetString());
        lock (dialogs)
            Assert.Contains(dialogs, d => d.Contains("cancel 3 of 3 matching requests", StringComparison.Ordinal));

        // Nothing was poisoned here: the dead-letter view says so (the RabbitMQ tests poison and requeue).
        await page.GotoAsync("/#/deadletters");
        await Assertions.Expect(page.Locator("#dead-letter-pending")).ToHaveTextAsync("0 pending");

        // The overview: counts by state and the last hour's completions, then a screenshot for the record.
        await page.GotoAsync("/#/overview");
        await Assertions.Expect(page.Locator("#counts a[data-state=Cancelled] .n")).ToHaveTextAsync("3");
        await Assertions.Expect(page.Locator("#stuck .n")).ToHaveTextAsync("0");
        await Assertions.Expect(page.Locator("#throughput-chart svg rect").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#throughput-summary")).ToContainTextAsync("finished in the last 60 minutes");
        // The embedded worker's endpoint, with its breaker (off here) and no cooldown.
        await Assertions.Expect(page.Locator("#fleet-summary")).ToContainTextAsync("1 live worker");
        await Assertions.Expect(page.Locator("#fleet-table tbody tr[data-endpoint]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#fleet-table tbody tr[data-endpoint] td").Nth(3)).ToHaveTextAsync("none");
        await Assertions.Expect(page.Locator("#fleet-table tbody tr[data-endpoint] .breaker")).ToContainTextAsync(": Disabled");
        // The tokens its answers reported in the last minute, from the worker's heartbeats (no quota set here).
        await Assertions.Expect(page.Locator("#fleet-table tbody tr[data-endpoint] td.tokens"))
            .ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ \(\d+ prompt \+ \d+ completion\)$"));
        var artifacts = Environment.GetEnvironmentVariable("ORCH_TEST_ARTIFACTS") is { Length: > 0 } dir ? dir : Path.GetTempPath();
        var screenshot = Path.Combine(artifacts, "dashboard-overview.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 1000, $"screenshot {screenshot} is empty");
        Assert.True(consoleErrors.Count == 0, "browser console errors:\n" + string.Join("\n", consoleErrors));
    }

    [Fact]
    public async Task Should_show_a_batchs_progress_and_callback_and_lead_to_its_requests_and_results()
    {
        await using var receiver = new CallbackReceiver();
        var lines = BatchLines.Select(id =>
            $$$"""{"custom_id": "{{{id}}}", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "sim", "messages": [{"role": "user", "content": "{{{id}}}{{{(id == "pw-b2" ? " [[sim: 400]]" : "")}}}"}]}}""");
        using (var content = new StringContent(string.Join("\n", lines), System.Text.Encoding.UTF8, "application/jsonl"))
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"api/batches?callbackUrl={Uri.EscapeDataString(receiver.Url("ok/pw-batch"))}") { Content = content })
        {
            request.Headers.Add("Idempotency-Key", "pw-batch");
            using var response = await _api.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        }
        await Eventually.Until(async () => JsonDocument.Parse(await _api.GetStringAsync(new Uri("api/batches/pw-batch", UriKind.Relative))).RootElement,
            b => b.GetProperty("state").GetString() == "Completed" && b.GetProperty("callback").GetProperty("state").GetString() == "Delivered",
            Patience, "batch pw-batch Completed and announced", () => _server.Output);

        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _url, AcceptDownloads = true });
        await context.AddInitScriptAsync($"localStorage.setItem('orchestrator.apiKey', '{OperateKey}')");
        var page = await context.NewPageAsync();
        await page.GotoAsync("/#/batches");
        var row = page.Locator("#batch-table tr[data-batch=pw-batch]");
        await Assertions.Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("Completed");
        await Assertions.Expect(row.Locator("progress")).ToHaveAttributeAsync("value", "3");
        await Assertions.Expect(row.Locator("td").Nth(4)).ToHaveTextAsync("1");
        await Assertions.Expect(row.Locator("[data-callback]")).ToHaveTextAsync("Delivered");
        await Assertions.Expect(row.Locator("button[data-action=redeliver]")).ToHaveCountAsync(1);

        var download = await page.RunAndWaitForDownloadAsync(() => row.Locator("button[data-action=results]").ClickAsync());
        var saved = Path.Combine(_workingDirectory, "results.jsonl");
        await download.SaveAsAsync(saved);
        var results = (await File.ReadAllLinesAsync(saved)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();
        Assert.Equal(BatchLines, results);

        await row.Locator("a", new() { HasText = "Requests" }).ClickAsync();
        await page.WaitForURLAsync("**/#/requests/batchId=pw-batch");
        await Assertions.Expect(page.Locator("#request-table tbody tr")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#request-table tbody tr[data-request='pw-batch:pw-b2'] td").Nth(1)).ToHaveTextAsync("Failed");
    }

    async Task Submit(string id, string text, object? retry = null)
    {
        using var response = await _api.PostAsJsonAsync("api/requests", new { requestId = id, model = "sim", messages = new[] { new { role = "user", content = text } }, retry });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    async Task<JsonElement> GetAsync(string id) =>
        JsonDocument.Parse(await _api.GetStringAsync(new Uri($"api/requests/{id}", UriKind.Relative))).RootElement;

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
