using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// Completion callbacks on the embedded orchestrator (the built executable), delivered to receivers on 127.0.0.1 that
/// the configuration allows: signed, retried with the same webhook-id, stopped by 410, redelivered by an operator, and
/// never in the way of the requests themselves.
/// </summary>
public sealed class When_requests_have_callbacks : IAsyncLifetime, IAsyncDisposable
{
    static readonly string Secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    readonly string _workingDirectory = Directory.CreateTempSubdirectory("orch-callbacks-").FullName;
    readonly CallbackReceiver _receiver = new();
    ChildProcess _server = null!;
    HttpClient _http = null!;
    string _url = "";
    int _disposed;

    public async Task InitializeAsync()
    {
        _url = $"http://127.0.0.1:{ChildProcess.FreePort()}/";
        _server = ChildProcess.Start("embedded", RepoPaths.Orchestrator, ["--urls", _url], new Dictionary<string, string>
        {
            ["Orchestrator__Callbacks__SigningSecret"] = Secret,
            ["Orchestrator__Callbacks__AllowedHosts__0"] = "127.0.0.1",
            // Short waits so the retries happen within a test; the rules are the defaults'.
            ["Orchestrator__Callbacks__InitialInterval"] = "00:00:00.200",
            ["Orchestrator__Callbacks__Timeout"] = "00:00:01",
            ["Orchestrator__Callbacks__PollInterval"] = "00:00:00.050",
        }, _workingDirectory);
        await _server.WaitUntilHealthyAsync(_url + "health/ready", TimeSpan.FromSeconds(90));
        _http = new HttpClient { BaseAddress = new Uri(_url), Timeout = TimeSpan.FromSeconds(30) };
    }

    [Fact]
    public async Task Should_deliver_one_signed_event_per_state_and_retry_a_500_with_the_same_webhook_id()
    {
        await SubmitAsync("cb-ok", "Hello", _receiver.Url("flaky/cb-ok"));
        await SubmitAsync("cb-fail", "Bad [[sim: 400]]", _receiver.Url("ok/cb-fail"));
        await SubmitAsync("cb-review", "Unsure [[sim: lowconf]]", _receiver.Url("ok/cb-review"));
        await SubmitAsync("cb-cancel", "Unsure [[sim: lowconf]]", _receiver.Url("ok/cb-cancel"));

        await InState("cb-review", "AwaitingReview");
        await InState("cb-cancel", "AwaitingReview");
        using (var approve = await _http.PostAsJsonAsync("api/requests/cb-review/approve", new { reviewer = "ops" }))
            Assert.True(approve.IsSuccessStatusCode, await approve.Content.ReadAsStringAsync());
        using (var cancel = await _http.PostAsJsonAsync("api/requests/cb-cancel/cancel", new { reason = "not needed" }))
            Assert.True(cancel.IsSuccessStatusCode, await cancel.Content.ReadAsStringAsync());

        var ok = await Delivered("cb-ok", 1);
        await Delivered("cb-fail", 1);
        await Delivered("cb-review", 2);
        await Delivered("cb-cancel", 2);

        // The 500 was retried with the same webhook-id and body; each attempt is signed for its own timestamp.
        var posts = _receiver.For("flaky/cb-ok");
        Assert.Equal([500, 200], posts.Select(p => p.AnsweredStatus));
        Assert.Single(posts.Select(p => p.WebhookId).Distinct());
        Assert.Equal(posts[0].Body, posts[1].Body);
        foreach (var post in _receiver.Received)
        {
            Assert.Equal("POST", post.Method);
            Assert.Equal("application/json", post.ContentType);
            Assert.Equal(Encoding.UTF8.GetByteCount(post.Body), post.ContentLength);
            Assert.Null(post.TransferEncoding);
            Assert.StartsWith("evt_", post.WebhookId, StringComparison.Ordinal);
            Assert.Contains(Signature(post), post.WebhookSignature.Split(' '));
        }

        Assert.Equal(["inference.succeeded"], Types("flaky/cb-ok"));
        Assert.Equal(["inference.failed"], Types("ok/cb-fail"));
        Assert.Equal(["inference.awaiting_review", "inference.succeeded"], Types("ok/cb-review"));
        Assert.Equal(["inference.awaiting_review", "inference.cancelled"], Types("ok/cb-cancel"));

        using (var body = JsonDocument.Parse(posts[1].Body))
        {
            var data = body.RootElement.GetProperty("data");
            Assert.Equal("cb-ok", data.GetProperty("requestId").GetString());
            Assert.Equal("Succeeded", data.GetProperty("state").GetString());
            Assert.Equal("Simulated answer to: Hello", data.GetProperty("result").GetProperty("output").GetString());
            Assert.True(body.RootElement.TryGetProperty("timestamp", out _));
        }
        using (var failed = JsonDocument.Parse(_receiver.For("ok/cb-fail")[0].Body))
            Assert.Equal("Permanent", failed.RootElement.GetProperty("data").GetProperty("failureKind").GetString());

        // The request shows both attempts of its one event.
        var callback = ok.GetProperty("callback");
        Assert.Equal(_receiver.Url("flaky/cb-ok"), callback.GetProperty("url").GetString());
        Assert.Equal("Delivered", callback.GetProperty("state").GetString());
        var evt = Assert.Single(callback.GetProperty("events").EnumerateArray());
        Assert.Equal(posts[0].WebhookId, evt.GetProperty("eventId").GetString());
        var deliveries = evt.GetProperty("deliveries").EnumerateArray().ToList();
        Assert.Equal([500, 200], deliveries.Select(d => d.GetProperty("statusCode").GetInt32()));
        Assert.Equal("500 Internal Server Error", deliveries[0].GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, deliveries[1].GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Should_stop_at_410_and_deliver_again_when_an_operator_redelivers()
    {
        await SubmitAsync("cb-gone", "Hello", _receiver.Url("gone/cb-gone"));
        var failed = await Eventually.Until(() => _http.GetStringAsync(new Uri("api/callbacks?state=Failed&requestId=cb-gone", UriKind.Relative)),
            b => b.Contains("\"state\":\"Failed\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the 410 ends the event", () => _server.Output);
        string eventId;
        using (var page = JsonDocument.Parse(failed))
        {
            var item = Assert.Single(page.RootElement.GetProperty("items").EnumerateArray());
            eventId = item.GetProperty("eventId").GetString()!;
            Assert.Equal(1, item.GetProperty("attempts").GetInt32());
            Assert.Equal(410, item.GetProperty("lastStatus").GetInt32());
            Assert.StartsWith("410 Gone", item.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        }
        Assert.Single(_receiver.For("gone/cb-gone"));

        var (code, listed) = await ChildProcess.RunAsync("cli", RepoPaths.Orchestrator, ["callbacks", "list", "--request", "cb-gone", "--url", _url],
            new Dictionary<string, string>(), _workingDirectory, TimeSpan.FromSeconds(60));
        Assert.True(code == 0, listed);
        Assert.Contains(eventId, listed, StringComparison.Ordinal);
        Assert.Contains("410 Gone", listed, StringComparison.Ordinal);

        _receiver.Heal();
        var (redeliverCode, redelivered) = await ChildProcess.RunAsync("cli", RepoPaths.Orchestrator, ["callbacks", "redeliver", eventId, "--url", _url],
            new Dictionary<string, string>(), _workingDirectory, TimeSpan.FromSeconds(60));
        Assert.True(redeliverCode == 0, redelivered);
        Assert.Contains($"{eventId}: Pending", redelivered, StringComparison.Ordinal);

        var view = await Delivered("cb-gone", 1);
        var posts = _receiver.For("gone/cb-gone");
        Assert.Equal([410, 200], posts.Select(p => p.AnsweredStatus));
        Assert.All(posts, p => Assert.Equal(eventId, p.WebhookId));
        var evt = Assert.Single(view.GetProperty("callback").GetProperty("events").EnumerateArray());
        Assert.Equal(2, evt.GetProperty("deliveries").GetArrayLength());
    }

    [Fact]
    public async Task Should_not_let_a_hung_receiver_delay_the_requests_or_another_receiver()
    {
        using var hung = new HangingReceiver();
        for (var i = 0; i < 12; i++)
            await SubmitAsync($"cb-hung-{i}", "Hello", hung.Url($"hook/{i}"));
        await SubmitAsync("cb-healthy", "Hello", _receiver.Url("ok/cb-healthy"));

        // Every request ends on its own time, and the healthy receiver gets its event while the hung one holds its slots.
        for (var i = 0; i < 12; i++)
            await InState($"cb-hung-{i}", "Succeeded");
        await Delivered("cb-healthy", 1);

        var hungView = await Eventually.Until(() => _http.GetStringAsync(new Uri("api/requests/cb-hung-0", UriKind.Relative)),
            b => b.Contains("no answer within 1 s", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "a timed-out attempt is recorded", () => _server.Output);
        using var doc = JsonDocument.Parse(hungView);
        Assert.Equal("Succeeded", doc.RootElement.GetProperty("state").GetString());
        var evt = Assert.Single(doc.RootElement.GetProperty("callback").GetProperty("events").EnumerateArray());
        Assert.Equal("Pending", evt.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, evt.GetProperty("deliveries")[0].GetProperty("statusCode").ValueKind);
    }

    [Theory]
    [InlineData("https://example.com/hook", "host 'example.com' is not one of Orchestrator:Callbacks:AllowedHosts (127.0.0.1)")]
    [InlineData("https://169.254.169.254/latest", "host '169.254.169.254' is not one of Orchestrator:Callbacks:AllowedHosts (127.0.0.1)")]
    [InlineData("http://127.0.0.2/hook", "host '127.0.0.2' is not one of Orchestrator:Callbacks:AllowedHosts (127.0.0.1)")]
    [InlineData("ftp://127.0.0.1/hook", "is not an absolute http(s) URL")]
    public async Task Should_refuse_a_callback_url_the_configuration_does_not_allow_with_400_naming_the_field(string url, string reason)
    {
        using var response = await _http.PostAsJsonAsync("api/requests", new
        {
            model = "sim",
            messages = new[] { new { role = "user", content = "Hello" } },
            callback = new { url },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors").GetProperty("callback.url");
        Assert.Contains(reason, Assert.Single(errors.EnumerateArray()).GetString(), StringComparison.Ordinal);
    }

    // The Standard Webhooks algorithm, computed here apart from the product's code.
    static string Signature(ReceivedCallback post)
    {
        var key = Convert.FromBase64String(Secret["whsec_".Length..]);
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{post.WebhookId}.{post.WebhookTimestamp}.{post.Body}")));
    }

    List<string> Types(string path) =>
        _receiver.For(path).Where(p => p.AnsweredStatus == 200)
            .Select(p => JsonDocument.Parse(p.Body).RootElement.GetProperty("type").GetString()!).ToList();

    async Task SubmitAsync(string id, string text, string callbackUrl)
    {
        using var response = await _http.PostAsJsonAsync("api/requests", new
        {
            requestId = id,
            model = "sim",
            messages = new[] { new { role = "user", content = text } },
            callback = new { url = callbackUrl },
        });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    Task<string> InState(string id, string state) =>
        Eventually.Until(() => _http.GetStringAsync(new Uri($"api/requests/{id}", UriKind.Relative)),
            b => b.Contains($"\"state\":\"{state}\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"{id} in {state}", () => _server.Output);

    /// <summary>The request once <paramref name="events"/> events of its callback are all Delivered.</summary>
    async Task<JsonElement> Delivered(string id, int events)
    {
        var body = await Eventually.Until(() => _http.GetStringAsync(new Uri($"api/requests/{id}", UriKind.Relative)),
            b =>
            {
                using var doc = JsonDocument.Parse(b);
                return doc.RootElement.TryGetProperty("callback", out var callback) && callback.ValueKind == JsonValueKind.Object &&
                       callback.GetProperty("events") is { ValueKind: JsonValueKind.Array } list && list.GetArrayLength() == events &&
                       list.EnumerateArray().All(e => e.GetProperty("state").GetString() == "Delivered");
            }, TimeSpan.FromSeconds(30), $"{events} callback events of {id} delivered", () => _server.Output);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    public async Task DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        _http?.Dispose();
        if (_server is not null)
            await _server.DisposeAsync();
        await _receiver.DisposeAsync();
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
