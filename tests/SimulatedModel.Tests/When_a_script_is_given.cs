using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Orchestrator.SimulatedModel;

namespace SimulatedModel.Tests;

public sealed class When_a_script_is_given(SimulatedModelFixture fixture) : IClassFixture<SimulatedModelFixture>
{
    [Fact]
    public async Task Should_answer_503_twice_then_succeed()
    {
        var body = Chat.Body(Chat.Unique("Summarise this [[sim: 503, 503, ok]]"));

        using var first = await Chat.PostAsync(fixture.Client, body);
        using var second = await Chat.PostAsync(fixture.Client, body);
        using var third = await Chat.PostAsync(fixture.Client, body);
        using var fourth = await Chat.PostAsync(fixture.Client, body);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal("server_error", (await Chat.ReadErrorAsync(first)).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fourth.StatusCode);
    }

    [Fact]
    public async Task Should_play_the_whole_script_for_each_request_with_the_same_text()
    {
        // Fifty requests with one prompt, as a load test sends them: each gets its own 400, not the first one alone.
        var body = Chat.Body(Chat.Unique("Same prompt for all [[sim: 400]]"));
        var ids = Enumerable.Range(0, 50).Select(i => $"req-{i}-{Guid.NewGuid():N}").ToArray();

        var first = await Task.WhenAll(ids.Select(id => StatusAsync(body, id)));
        var second = await Task.WhenAll(ids.Select(id => StatusAsync(body, id)));

        Assert.All(first, status => Assert.Equal(HttpStatusCode.BadRequest, status));
        Assert.All(second, status => Assert.Equal(HttpStatusCode.OK, status));
    }

    [Fact]
    public async Task Should_count_a_requests_attempts_together_and_apart_from_other_requests()
    {
        var body = Chat.Body(Chat.Unique("Busy [[sim: 503, 503, ok]]"));
        var a = Guid.NewGuid().ToString("N");
        var b = Guid.NewGuid().ToString("N");

        var statuses = new[]
        {
            await StatusAsync(body, a), await StatusAsync(body, b), await StatusAsync(body, a),
            await StatusAsync(body, a), await StatusAsync(body, b), await StatusAsync(body, b),
        };

        Assert.Equal(
            [HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable,
             HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK],
            statuses);
    }

    [Fact]
    public async Task Should_count_calls_without_a_request_id_by_their_conversation()
    {
        var body = Chat.Body(Chat.Unique("Anonymous [[sim: 503, ok]]"));

        var anonymous = await StatusAsync(body, null);
        var withId = await StatusAsync(body, Guid.NewGuid().ToString("N"));
        var anonymousAgain = await StatusAsync(body, null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, anonymous);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, withId);
        Assert.Equal(HttpStatusCode.OK, anonymousAgain);
    }

    async Task<HttpStatusCode> StatusAsync(JsonNode body, string? requestId)
    {
        using var response = await Chat.PostAsync(fixture.Client, body, requestId);
        return response.StatusCode;
    }

    [Fact]
    public async Task Should_strip_the_script_from_the_echoed_answer()
    {
        var completion = await Chat.AnswerAsync(fixture.Client, Chat.Body("Hello  [[ SIM : ok ]]  world"));

        Assert.Equal(
            "Simulated answer to: Hello world",
            completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Should_send_Retry_After_2_for_429_2()
    {
        using var response = await Chat.PostAsync(fixture.Client, Chat.Body(Chat.Unique("Hi [[sim: 429:2]]")));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        Assert.Equal("rate_limit_exceeded", (await Chat.ReadErrorAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Should_send_Retry_After_1_for_a_bare_429()
    {
        using var response = await Chat.PostAsync(fixture.Client, Chat.Body(Chat.Unique("Hi [[sim: 429]]")));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Should_answer_400_with_an_openai_error_body()
    {
        using var response = await Chat.PostAsync(fixture.Client, Chat.Body(Chat.Unique("Hi [[sim: 400]]")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await Chat.ReadErrorAsync(response);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(422)]
    [InlineData(500)]
    public async Task Should_answer_any_scripted_status_with_an_openai_error_body(int status)
    {
        using var response = await Chat.PostAsync(fixture.Client, Chat.Body(Chat.Unique($"Hi [[sim: {status}]]")));

        Assert.Equal(status, (int)response.StatusCode);
        await Chat.ReadErrorAsync(response);
    }

    [Fact]
    public async Task Should_drop_the_connection_on_reset()
    {
        var requestId = Guid.NewGuid().ToString("N");

        // A warm-up call first, so the reset hits a reused pooled connection as it would in production.
        using var warmUp = await Chat.PostAsync(fixture.Client, Chat.Body("warm up"));
        await Assert.ThrowsAsync<HttpRequestException>(
            () => Chat.PostAsync(fixture.Client, Chat.Body(Chat.Unique("Hi [[sim: reset]]")), requestId));

        Assert.Equal(1, fixture.Server.Stats.CallsFor(requestId));
    }

    [Fact]
    public async Task Should_hold_the_request_on_timeout_until_the_client_gives_up()
    {
        using var client = new HttpClient { BaseAddress = fixture.Server.BaseAddress, Timeout = TimeSpan.FromSeconds(1) };
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<TaskCanceledException>(() => Chat.PostAsync(client, Chat.Body(Chat.Unique("Hi [[sim: timeout]]"))));

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"gave up after {clock.Elapsed}");
    }

    [Fact]
    public async Task Should_answer_slow_300_after_at_least_300_ms()
    {
        var clock = Stopwatch.StartNew();

        var completion = await Chat.AnswerAsync(fixture.Client, Chat.Body(Chat.Unique("Hi [[sim: slow:300]]")));

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(300), $"answered after {clock.Elapsed}");
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Should_answer_lowconf_with_a_geometric_mean_below_0_5()
    {
        var body = Chat.Body(Chat.Unique("How sure are you? [[sim: lowconf]]"));
        body["logprobs"] = true;

        var lowConfidence = await Chat.AnswerAsync(fixture.Client, body);
        var afterScript = await Chat.AnswerAsync(fixture.Client, body);

        Assert.InRange(Chat.GeometricMeanProbability(lowConfidence), 0.25, 0.35);
        Assert.InRange(Chat.GeometricMeanProbability(afterScript), 0.9, 0.99);
    }

    [Theory]
    [InlineData("[[sim: 503, bogus]]")]
    [InlineData("[[sim: 200]]")]
    [InlineData("[[sim: slow]]")]
    [InlineData("[[sim: 429:soon]]")]
    [InlineData("[[sim: 503,,ok]]")]
    [InlineData("[[sim 503]]")]
    public async Task Should_reject_a_malformed_script_with_400(string script)
    {
        using var response = await Chat.PostAsync(fixture.Client, Chat.Body(Chat.Unique("Hi " + script)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await Chat.ReadErrorAsync(response);
        Assert.Equal("invalid_sim_script", error.GetProperty("code").GetString());
        Assert.Contains("[[sim:", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_key_the_script_on_the_whole_conversation()
    {
        var first = Chat.Body(Chat.Unique("Hi [[sim: 503]]"));
        var other = first.DeepClone().AsObject();
        other["messages"]!.AsArray().Insert(0, new JsonObject { ["role"] = "system", ["content"] = "Be brief." });

        using var firstResponse = await Chat.PostAsync(fixture.Client, first);
        using var otherResponse = await Chat.PostAsync(fixture.Client, other);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, firstResponse.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, otherResponse.StatusCode);
    }

    [Fact]
    public async Task Should_start_the_script_over_after_the_stats_are_reset()
    {
        await using var server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        var body = Chat.Body("Hi [[sim: 503]]");

        using var first = await Chat.PostAsync(client, body);
        using var reset = await client.PostAsync(new Uri("stats/reset", UriKind.Relative), null);
        using var again = await Chat.PostAsync(client, body);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
    }

    [Fact]
    public async Task Should_answer_with_usage_and_headers_saying_the_quota_is_spent_for_an_exhausted_step()
    {
        var body = Chat.Body(Chat.Unique("Spend it [[sim: exhausted:7, ok]]"));

        using var spent = await Chat.PostAsync(fixture.Client, body);
        using var after = await Chat.PostAsync(fixture.Client, body);

        Assert.Equal(HttpStatusCode.OK, spent.StatusCode);
        Assert.Equal(
            ("0", "0", "7s", "7s"),
            (Header(spent, "x-ratelimit-remaining-requests"), Header(spent, "x-ratelimit-remaining-tokens"),
             Header(spent, "x-ratelimit-reset-requests"), Header(spent, "x-ratelimit-reset-tokens")));
        var usage = (await Chat.ReadJsonAsync(spent)).GetProperty("usage");
        Assert.True(usage.GetProperty("total_tokens").GetInt32() > 0);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.False(after.Headers.Contains("x-ratelimit-remaining-tokens"));
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}
