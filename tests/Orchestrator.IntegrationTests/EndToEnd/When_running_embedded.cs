using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>The one-command embedded mode, run as a user would: the built executable, from an unrelated directory.</summary>
public sealed class When_running_embedded : IDisposable
{
    readonly string _workingDirectory = Directory.CreateTempSubdirectory("orch-embedded-").FullName;

    [Fact]
    public async Task Should_run_the_demo_to_completion_and_print_json_counts()
    {
        var wall = System.Diagnostics.Stopwatch.StartNew();
        await using var demo = ChildProcess.Start("demo", RepoPaths.Orchestrator, ["demo", "--requests", "200", "--json"],
            new Dictionary<string, string>(), _workingDirectory);
        var code = await demo.WaitForExitAsync(TimeSpan.FromMinutes(3));
        wall.Stop();
        Assert.True(code == 0, $"demo exited {code}:\n{demo.Output}");

        var json = demo.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{'));
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(200, root.GetProperty("requests").GetInt32());
        Assert.Equal(200, root.GetProperty("succeeded").GetInt32());
        Assert.Equal(0, root.GetProperty("failed").GetInt32());
        Assert.Equal(200, root.GetProperty("attempts").GetInt32());
        // The time from the first submission until the last request was terminal: within the process's life, and
        // the same figure the human-readable line reports.
        var elapsedMs = root.GetProperty("elapsedMs").GetInt64();
        Assert.InRange(elapsedMs, 1, wall.ElapsedMilliseconds);
        var line = System.Text.RegularExpressions.Regex.Match(demo.Output, @"^200 requests in (?<s>[0-9.]+) s \((?<rate>[0-9]+) requests/s\)", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(line.Success, demo.Output);
        Assert.InRange(double.Parse(line.Groups["s"].Value, System.Globalization.CultureInfo.InvariantCulture) * 1000, elapsedMs - 10, elapsedMs + 10);
    }

    [Fact]
    public async Task Should_retry_injected_faults_until_every_request_succeeds()
    {
        await using var demo = ChildProcess.Start("demo", RepoPaths.Orchestrator, ["demo", "--requests", "100", "--fault-rate", "0.3", "--json"],
            new Dictionary<string, string>(), _workingDirectory);
        var code = await demo.WaitForExitAsync(TimeSpan.FromMinutes(3));
        Assert.True(code == 0, $"demo exited {code}:\n{demo.Output}");

        using var doc = JsonDocument.Parse(demo.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{')));
        var root = doc.RootElement;
        // The simulated faults are all transient (503, 429, 500, reset): retries carry every request through.
        Assert.Equal(100, root.GetProperty("succeeded").GetInt32());
        Assert.True(root.GetProperty("attempts").GetInt32() > 100, "a 30% fault rate should make some requests take more than one attempt");
    }

    [Fact]
    public async Task Should_refuse_bad_demo_arguments_with_usage()
    {
        await using var demo = ChildProcess.Start("demo", RepoPaths.Orchestrator, ["demo", "--requests", "zero"],
            new Dictionary<string, string>(), _workingDirectory);
        Assert.Equal(2, await demo.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("demo: --requests must be a whole number from 1 to 1000000 (got 'zero')", demo.Output, StringComparison.Ordinal);
        Assert.Contains("orchestrator demo [options]", demo.Output, StringComparison.Ordinal); // and the demo's usage after it
    }

    [Fact]
    public async Task Should_serve_the_api_from_any_directory_and_complete_a_request()
    {
        var (server, http) = await StartServerAsync();
        await using var serverLifetime = server;
        using var httpLifetime = http;

        using (var ready = await http.GetAsync(new Uri("health/ready", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using (var openApi = await http.GetAsync(new Uri("openapi/v1.json", UriKind.Relative)))
            Assert.Contains("/api/requests", await openApi.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var submit = await http.PostAsJsonAsync("api/requests", new
        {
            requestId = "req-001",
            model = "sim",
            messages = new object[]
            {
                new { role = "system", content = "Be brief." },
                new { role = "user", content = new object[] { new { type = "text", text = "Hello" }, new { type = "image_url", image_url = new { url = "https://example.com/cat.png" } } } },
            },
            temperature = 0.2,
            maxTokens = 64,
        });
        Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
        using (var accepted = JsonDocument.Parse(await submit.Content.ReadAsStringAsync()))
        {
            Assert.Equal("req-001", accepted.RootElement.GetProperty("requestId").GetString());
            Assert.Equal("Pending", accepted.RootElement.GetProperty("state").GetString());
        }

        var body = await InState(http, "req-001", "Succeeded");
        using (var doc = JsonDocument.Parse(body))
        {
            var root = doc.RootElement;
            foreach (var field in new[] { "requestId", "state", "attempt", "nextAttemptAt", "failureKind", "reason", "confidence", "result", "attempts" })
                Assert.True(root.TryGetProperty(field, out _), $"missing {field} in {body}");
            var attempt = Assert.Single(root.GetProperty("attempts").EnumerateArray());
            foreach (var field in new[] { "attempt", "startedAt", "finishedAt", "outcome", "failureKind", "httpStatus", "backoffMs", "endpoint" })
                Assert.True(attempt.TryGetProperty(field, out _), $"missing attempts[0].{field} in {body}");
        }

        // The same id again: the existing request answers, 200 now that it is terminal.
        using var again = await http.PostAsJsonAsync("api/requests", new
        {
            requestId = "req-001",
            model = "sim",
            messages = new object[]
            {
                new { role = "system", content = "Be brief." },
                new { role = "user", content = new object[] { new { type = "text", text = "Hello" }, new { type = "image_url", image_url = new { url = "https://example.com/cat.png" } } } },
            },
            temperature = 0.2,
            maxTokens = 64,
        });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        using var list = JsonDocument.Parse(await http.GetStringAsync(new Uri("api/requests?state=succeeded", UriKind.Relative)));
        Assert.Contains(list.RootElement.GetProperty("items").EnumerateArray(), i => i.GetProperty("requestId").GetString() == "req-001");

        Assert.True(File.Exists(Path.Combine(_workingDirectory, "data", "orchestrator.db")), "the embedded store lives under ./data of the working directory");
    }

    [Fact]
    public async Task Should_apply_the_same_default_retry_policy_as_the_production_shape()
    {
        var (server, http) = await StartServerAsync();
        await using var serverLifetime = server;
        using var httpLifetime = http;

        Task Submit(string id, string text) => SubmitAsync(http, id, text);
        async Task<JsonElement> Terminal(string id, TimeSpan within) =>
            JsonDocument.Parse(await Eventually.Until(() => http.GetStringAsync(new Uri($"api/requests/{id}", UriKind.Relative)),
                b => b.Contains("\"state\":\"Succeeded\"", StringComparison.Ordinal) || b.Contains("\"state\":\"Failed\"", StringComparison.Ordinal),
                within, $"{id} terminal", () => server.Output)).RootElement;

        await Submit("emb-503", "Busy? [[sim: 503, 503, ok]]");
        await Submit("emb-400", "Bad [[sim: 400]]");
        await Submit("emb-429", "Slow down [[sim: 429:2, ok]]");

        var busy = await Terminal("emb-503", TimeSpan.FromSeconds(15));
        Assert.Equal("Succeeded", busy.GetProperty("state").GetString());
        Assert.Equal(3, busy.GetProperty("attempts").GetArrayLength());

        var bad = await Terminal("emb-400", TimeSpan.FromSeconds(15));
        Assert.Equal("Failed", bad.GetProperty("state").GetString());
        Assert.Equal(1, bad.GetProperty("attempts").GetArrayLength());

        var limited = await Terminal("emb-429", TimeSpan.FromSeconds(15));
        var attempts = limited.GetProperty("attempts");
        Assert.Equal(2, attempts.GetArrayLength());
        var gap = attempts[1].GetProperty("startedAt").GetDateTime() - attempts[0].GetProperty("finishedAt").GetDateTime();
        Assert.True(gap >= TimeSpan.FromSeconds(2), $"the second attempt started {gap.TotalMilliseconds} ms after a Retry-After of 2 s");
    }

    [Fact]
    public async Task Should_answer_bad_submissions_with_problem_details()
    {
        var (server, http) = await StartServerAsync();
        await using var serverLifetime = server;
        using var httpLifetime = http;

        using var malformed = await http.PostAsync(new Uri("api/requests", UriKind.Relative), new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);

        using var wrongType = await http.PostAsync(new Uri("api/requests", UriKind.Relative), new StringContent("hello", System.Text.Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);

        using var unknownModel = await http.PostAsJsonAsync("api/requests", new { model = "gpt-x", messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(HttpStatusCode.BadRequest, unknownModel.StatusCode);
        Assert.Contains("unknown model 'gpt-x'", await unknownModel.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var badId = await http.GetAsync(new Uri("api/requests/bad%20id", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);

        using var missing = await http.GetAsync(new Uri("api/requests/never-submitted", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Should_expose_the_documented_metrics_and_readiness()
    {
        var (server, http) = await StartServerAsync();
        await using var serverLifetime = server;
        using var httpLifetime = http;
        using (var submit = await http.PostAsJsonAsync("api/requests", new { requestId = "metrics-1", model = "sim", messages = new[] { new { role = "user", content = "Count me [[sim: 503, ok]]" } } }))
            Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
        await InState(http, "metrics-1", "Succeeded");

        // The gauge refreshes every 5 s; every other name is there as soon as it was recorded.
        var scrape = await Eventually.Until(() => http.GetStringAsync(new Uri("metrics", UriKind.Relative)),
            text => text.Contains("orchestrator_requests{", StringComparison.Ordinal) && text.Contains("state=\"Succeeded\"} 1", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "the requests gauge counts the request");
        foreach (var name in new[]
        {
            "orchestrator_retry_count_total", "orchestrator_backoff_duration_ms_bucket", "orchestrator_timer_lateness_ms_bucket",
            "orchestrator_retry_wait_milliseconds_bucket", "orchestrator_end_to_end_latency_milliseconds_bucket",
            "orchestrator_attempts_decided_total", "orchestrator_upstream_latency_milliseconds_bucket", "orchestrator_inflight",
            "orchestrator_attempts_total",
        })
        {
            Assert.True(scrape.Contains(name, StringComparison.Ordinal), $"/metrics lacks {name}");
        }

        using var ready = JsonDocument.Parse(await http.GetStringAsync(new Uri("health/ready", UriKind.Relative)));
        Assert.Equal("Healthy", ready.RootElement.GetProperty("status").GetString());
        foreach (var check in new[] { "store", "scheduler", "masstransit-bus" })
            Assert.Equal("Healthy", ready.RootElement.GetProperty("checks").GetProperty(check).GetProperty("status").GetString());

        // The front page promises this server: the embedded default answers liveness, anonymously, as well.
        using var live = await http.GetAsync(new Uri("health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Should_refuse_every_bad_request_with_its_own_reason_before_any_model_call()
    {
        var (server, http) = await StartServerAsync();
        await using var serverLifetime = server;
        using var httpLifetime = http;
        Assert.True(BadInputCases.All.Length >= 15);
        foreach (var (name, fields, reason) in BadInputCases.All)
        {
            using var response = await http.PostAsJsonAsync("api/requests", BadInputCases.Request($"bad-{name.Replace(' ', '-')}", fields));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {body}");
            Assert.True(body.Contains(reason, StringComparison.Ordinal), $"{name}: expected '{reason}' in {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // A body over the limit (16 MB by default) is refused as a whole, with 413.
        using var huge = new StringContent("{\"model\":\"sim\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 17 * 1024 * 1024) + "\"}]}",
            System.Text.Encoding.UTF8, "application/json");
        // Expect: 100-continue lets the server answer before the client has sent a body it will not read.
        using var oversized = new HttpRequestMessage(HttpMethod.Post, new Uri("api/requests", UriKind.Relative)) { Content = huge };
        oversized.Headers.ExpectContinue = true;
        using var tooLarge = await http.SendAsync(oversized);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

        using var list = JsonDocument.Parse(await http.GetStringAsync(new Uri("api/requests", UriKind.Relative)));
        Assert.DoesNotContain(list.RootElement.GetProperty("items").EnumerateArray(), i => i.GetProperty("requestId").GetString()!.StartsWith("bad-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_hold_a_low_confidence_answer_for_review_and_follow_the_verdict()
    {
        var (server, http) = await StartServerAsync();
        await using var serverLifetime = server;
        using var httpLifetime = http;
        async Task<JsonElement> StateOf(string id, string state) => JsonDocument.Parse(await InState(http, id, state)).RootElement;

        foreach (var id in new[] { "review-approve", "review-reject", "review-again" })
        {
            using var submit = await http.PostAsJsonAsync("api/requests", new { requestId = id, model = "sim", messages = new[] { new { role = "user", content = $"{id}: unsure? [[sim: lowconf, ok]]" } } });
            Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
            var held = await StateOf(id, "AwaitingReview");
            // The simulated model's low-confidence tokens have probabilities of 0.25 to 0.35.
            Assert.InRange(held.GetProperty("confidence").GetDouble(), 0.25, 0.35);
            Assert.StartsWith("held for review", held.GetProperty("decision").GetString(), StringComparison.Ordinal);
        }

        using (var approve = await http.PostAsJsonAsync("api/requests/review-approve/approve", new { reviewer = "ana", note = "checked by hand" }))
            Assert.Equal(HttpStatusCode.Accepted, approve.StatusCode);
        Assert.Contains("approved by ana", (await StateOf("review-approve", "Succeeded")).GetProperty("decision").GetString(), StringComparison.Ordinal);

        using (var reject = await http.PostAsJsonAsync("api/requests/review-reject/reject", new { reason = "wrong" }))
            Assert.Equal(HttpStatusCode.Accepted, reject.StatusCode);
        Assert.Equal("Rejected", (await StateOf("review-reject", "Failed")).GetProperty("failureKind").GetString());

        using (var again = await http.PostAsJsonAsync("api/requests/review-again/reject", new { reason = "try again", retry = true }))
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        var retried = await StateOf("review-again", "Succeeded");
        Assert.Equal(2, retried.GetProperty("attempts").GetArrayLength());
        Assert.InRange(retried.GetProperty("confidence").GetDouble(), 0.9, 0.99);

        using var late = await http.PostAsJsonAsync("api/requests/review-approve/approve", new { });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    [Fact]
    public async Task Should_let_operators_submit_list_show_cancel_and_review_from_the_command_line()
    {
        var (server, http) = await StartServerAsync();
        await using var serverLifetime = server;
        using var httpLifetime = http;
        var url = http.BaseAddress!.ToString();

        Task<(int Code, string Output)> Cli(params string[] args) => CliAsync(url, args);

        var file = Path.Combine(_workingDirectory, "request.json");
        await File.WriteAllTextAsync(file, """{"requestId":"cli-1","model":"sim","messages":[{"role":"user","content":"From a file"}]}""");
        var submitted = await Cli("submit", "--file", file, "--json");
        Assert.True(submitted.Code == 0, submitted.Output);
        Assert.Contains("\"requestId\":\"cli-1\"", submitted.Output, StringComparison.Ordinal);
        await InState(http, "cli-1", "Succeeded");

        var shown = await Cli("requests", "show", "cli-1");
        Assert.True(shown.Code == 0, shown.Output);
        Assert.Contains("Succeeded", shown.Output, StringComparison.Ordinal);
        Assert.Contains("Simulated answer", shown.Output, StringComparison.Ordinal);

        var listed = await Cli("requests", "list", "--state", "Succeeded", "--json");
        Assert.True(listed.Code == 0, listed.Output);
        using (var page = JsonDocument.Parse(listed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{'))))
            Assert.Contains(page.RootElement.GetProperty("items").EnumerateArray(), i => i.GetProperty("requestId").GetString() == "cli-1");

        // Cancel a request waiting out a long backoff; review one held for low confidence.
        using (var slow = await http.PostAsJsonAsync("api/requests", new { requestId = "cli-2", model = "sim", messages = new[] { new { role = "user", content = "[[sim: 503, ok]]" } }, retry = new { initialIntervalMs = 60000, maximumIntervalMs = 60000 } }))
            Assert.Equal(HttpStatusCode.Accepted, slow.StatusCode);
        using (var unsure = await http.PostAsJsonAsync("api/requests", new { requestId = "cli-3", model = "sim", messages = new[] { new { role = "user", content = "[[sim: lowconf]]" } } }))
            Assert.Equal(HttpStatusCode.Accepted, unsure.StatusCode);
        await InState(http, "cli-2", "RetryScheduled");
        await InState(http, "cli-3", "AwaitingReview");

        var cancelled = await Cli("requests", "cancel", "cli-2", "--reason", "from the CLI");
        Assert.True(cancelled.Code == 0, cancelled.Output);
        var approved = await Cli("review", "approve", "cli-3", "--reviewer", "ops");
        Assert.True(approved.Code == 0, approved.Output);
        await InState(http, "cli-2", "Cancelled", "from the CLI");
        await InState(http, "cli-3", "Succeeded", "approved by ops");

        // Errors: the problem details on stderr, a non-zero exit.
        var missing = await Cli("requests", "show", "no-such-request");
        Assert.Equal(1, missing.Code);
        Assert.Contains("HTTP 404", missing.Output, StringComparison.Ordinal);
        var again = await Cli("requests", "cancel", "cli-1");
        Assert.Equal(1, again.Code);
        Assert.Contains("HTTP 409", again.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await Cli("requests", "frobnicate")).Code);

        // The embedded worker reports itself and its one endpoint.
        var fleet = await Cli("fleet");
        Assert.True(fleet.Code == 0, fleet.Output);
        Assert.Contains("1 live worker(s)", fleet.Output, StringComparison.Ordinal);
        Assert.Matches(@"\nsim +\S+ +0 +\d+ +- +\S+: Closed", fleet.Output);
        var fleetJson = await Cli("fleet", "--json");
        Assert.True(fleetJson.Code == 0, fleetJson.Output);
        Assert.Contains("\"holds\":[]", fleetJson.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_let_operators_retry_pause_resume_and_act_in_bulk_from_the_command_line()
    {
        var (server, http) = await StartServerAsync();
        await using var serverLifetime = server;
        using var httpLifetime = http;
        var url = http.BaseAddress!.ToString();

        Task<(int Code, string Output)> Cli(params string[] args) => CliAsync(url, args);
        Task Submit(string id, string text, object? retry = null) => SubmitAsync(http, id, text, retry);

        // The model refuses each of these once (400: permanent), then answers.
        foreach (var id in new[] { "cli-f1", "cli-b1", "cli-b2" })
            await Submit(id, $"{id} [[sim: 400, ok]]");
        // Waits two minutes (its backoff) unless resumed.
        await Submit("cli-p1", "cli-p1 [[sim: 503, ok]]", new { initialIntervalMs = 120_000, maximumIntervalMs = 120_000 });
        foreach (var id in new[] { "cli-f1", "cli-b1", "cli-b2" })
            await InState(http, id, "Failed");
        await InState(http, "cli-p1", "RetryScheduled");

        var retried = await Cli("requests", "retry", "cli-f1", "--reason", "model fixed");
        Assert.True(retried.Code == 0, retried.Output);
        var reopened = JsonDocument.Parse(await InState(http, "cli-f1", "Succeeded")).RootElement;
        Assert.Equal(2, reopened.GetProperty("run").GetInt32());

        var paused = await Cli("requests", "pause", "cli-p1");
        Assert.True(paused.Code == 0, paused.Output);
        await InState(http, "cli-p1", "Paused");
        var resumed = await Cli("requests", "resume", "cli-p1", "--json");
        Assert.True(resumed.Code == 0, resumed.Output);
        await InState(http, "cli-p1", "Succeeded");

        // In bulk: a dry run counts, the real run acts on exactly the matching requests.
        var dry = await Cli("requests", "retry", "--id-prefix", "cli-b", "--state", "Failed", "--dry-run");
        Assert.True(dry.Code == 0, dry.Output);
        Assert.Contains("retry (dry run): matched 2, would act on 2, skipped 0", dry.Output, StringComparison.Ordinal);
        Assert.Equal("Failed", JsonDocument.Parse(await http.GetStringAsync(new Uri("api/requests/cli-b1", UriKind.Relative))).RootElement.GetProperty("state").GetString());
        var bulk = await Cli("requests", "retry", "--id-prefix", "cli-b", "--state", "Failed", "--json");
        Assert.True(bulk.Code == 0, bulk.Output);
        using (var result = JsonDocument.Parse(bulk.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{'))))
            Assert.Equal(2, result.RootElement.GetProperty("accepted").GetInt32());
        await InState(http, "cli-b1", "Succeeded");
        await InState(http, "cli-b2", "Succeeded");

        // Neither an id nor a filter: usage, exit 2; a bad filter value: the API's problem, exit 1.
        Assert.Equal(2, (await Cli("requests", "pause")).Code);
        var badState = await Cli("requests", "cancel", "--state", "Sleeping");
        Assert.Equal(1, badState.Code);
        Assert.Contains("unknown state 'Sleeping'", badState.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Orchestrator__Retry__BackoffCoefficient", "0.5", "Orchestrator:Retry:BackoffCoefficient")]
    [InlineData("Orchestrator__Timeouts__StartToCloseTimeout", "00:00:00", "Orchestrator:Timeouts:StartToCloseTimeout")]
    [InlineData("Orchestrator__Validation__MaxTextCharacters", "0", "Orchestrator:Validation:MaxTextCharacters")]
    [InlineData("Workers__Models__other__Endpoints__0__BaseUrl", "not a url", "Workers:Models:other:Endpoints:0:BaseUrl")]
    public async Task Should_refuse_to_start_with_a_bad_setting_and_name_it(string variable, string value, string setting)
    {
        await using var server = ChildProcess.Start("embedded", RepoPaths.Orchestrator, ["--urls", $"http://127.0.0.1:{ChildProcess.FreePort()}"],
            new Dictionary<string, string> { [variable] = value }, _workingDirectory);
        var code = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, code);
        Assert.Contains(setting, server.Output, StringComparison.Ordinal);
    }

    /// <summary>Waits (bounded) until the API shows the request in <paramref name="state"/> (and, if given, with <paramref name="containing"/>).</summary>
    static Task<string> InState(HttpClient http, string requestId, string state, string? containing = null) =>
        Eventually.Until(() => http.GetStringAsync(new Uri($"api/requests/{requestId}", UriKind.Relative)),
            b => b.Contains($"\"state\":\"{state}\"", StringComparison.Ordinal) && (containing is null || b.Contains(containing, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), $"{requestId} in {state}");

    /// <summary>The embedded orchestrator as a user starts it, on a free port, from the test's working directory.</summary>
    /// <summary>The orchestrator executable's CLI against the test's server.</summary>
    Task<(int Code, string Output)> CliAsync(string url, string[] args) =>
        ChildProcess.RunAsync("cli", RepoPaths.Orchestrator, [.. args, "--url", url], new Dictionary<string, string>(), _workingDirectory, TimeSpan.FromSeconds(60));

    static async Task SubmitAsync(HttpClient http, string id, string text, object? retry = null)
    {
        using var response = await http.PostAsJsonAsync("api/requests", new { requestId = id, model = "sim", messages = new[] { new { role = "user", content = text } }, retry });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    async Task<(ChildProcess Server, HttpClient Http)> StartServerAsync()
    {
        var url = $"http://127.0.0.1:{ChildProcess.FreePort()}/";
        var server = ChildProcess.Start("embedded", RepoPaths.Orchestrator, ["--urls", url], new Dictionary<string, string>(), _workingDirectory);
        // Ready, not only live: the bus has started, so the first submit does not wait for it.
        await server.WaitUntilHealthyAsync(url + "health/ready", TimeSpan.FromSeconds(90));
        return (server, new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) });
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
