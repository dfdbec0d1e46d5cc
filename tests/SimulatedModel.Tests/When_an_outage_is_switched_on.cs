using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orchestrator.SimulatedModel;

namespace SimulatedModel.Tests;

/// <summary><c>/admin/fault</c>: an outage switched on at run time hits every call until it is ended or runs out.</summary>
public sealed class When_an_outage_is_switched_on
{
    static readonly Uri Fault = new("admin/fault", UriKind.Relative);

    [Fact]
    public async Task Should_answer_every_call_with_its_step_until_it_is_ended()
    {
        await using var server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        using (var set = await client.PutAsJsonAsync(Fault, new { step = "503", seconds = 300 }))
        {
            Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        }

        var status = await Chat.ReadJsonAsync(await client.GetAsync(Fault));
        Assert.Equal("503", status.GetProperty("step").GetString());
        Assert.True(status.GetProperty("until").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddSeconds(200));

        // Unscripted and scripted calls alike, and they are still counted per request id.
        Assert.Equal("503", await Chat.OutcomeAsync(client, Chat.Body(Chat.Unique("Hello"))));
        Assert.Equal("503", await Chat.OutcomeAsync(client, Chat.Body(Chat.Unique("Hello [[sim: ok]]"))));
        using (var counted = await Chat.PostAsync(client, Chat.Body("Hi"), "outage-1"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, counted.StatusCode);
        }

        Assert.Equal(1, server.Stats.CallsFor("outage-1"));

        using (var slow = await client.PutAsJsonAsync(Fault, new { step = "slow:400", seconds = 300 }))
        {
            Assert.Equal(HttpStatusCode.NoContent, slow.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        Assert.Equal("200", await Chat.OutcomeAsync(client, Chat.Body(Chat.Unique("Slowly"))));
        Assert.True(clock.ElapsedMilliseconds >= 400, $"a slow:400 outage answered after {clock.ElapsedMilliseconds} ms");

        using (var cleared = await client.DeleteAsync(Fault))
        {
            Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        }

        Assert.Equal(JsonValueKind.Null, (await Chat.ReadJsonAsync(await client.GetAsync(Fault))).GetProperty("step").ValueKind);
        Assert.Equal("503", await Chat.OutcomeAsync(client, Chat.Body(Chat.Unique("Scripted again [[sim: 503, ok]]"))));
        Assert.Equal("200", await Chat.OutcomeAsync(client, Chat.Body(Chat.Unique("Hello again"))));
    }

    [Fact]
    public async Task Should_end_by_itself_when_its_time_runs_out()
    {
        await using var server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using (var set = await client.PutAsJsonAsync(Fault, new { step = "500", seconds = 0.5 }))
        {
            Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        }

        // Polled, bounded: the first answers may still be 500 on a slow box; a 200 must come once it ran out.
        var outcome = await Eventually.Until(() => Chat.OutcomeAsync(client, Chat.Body(Chat.Unique("Are you back?"))), answer =>
        {
            Assert.True(answer is "500" or "200", $"unexpected outcome {answer}");
            return answer == "200";
        }, TimeSpan.FromSeconds(20), "a 200 once the 0.5 s outage ran out");

        Assert.Equal("200", outcome);
    }

    [Theory]
    [InlineData("{\"step\":\"bogus\",\"seconds\":5}", "unknown step")]
    [InlineData("{\"step\":\"503\"}", "must name a step and its seconds")]
    [InlineData("{\"step\":\"503\",\"seconds\":0}", "seconds must be above 0")]
    [InlineData("{not json", "The body must be")]
    public async Task Should_refuse_a_bad_outage_with_400_and_change_nothing(string body, string reason)
    {
        await using var server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await client.PutAsync(Fault, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("200", await Chat.OutcomeAsync(client, Chat.Body(Chat.Unique("Still fine"))));
    }
}
