using System.Net;
using Orchestrator.SimulatedModel;

namespace SimulatedModel.Tests;

public sealed class When_calls_carry_a_request_id
{
    [Fact]
    public async Task Should_count_the_calls_of_each_request_id()
    {
        await using var server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        // Failed calls count too: the orchestrator's retries are what is being measured.
        for (var i = 0; i < 3; i++)
        {
            using var response = await Chat.PostAsync(client, Chat.Body("Hi [[sim: 503, 503]]"), "request-a");
        }

        using var other = await Chat.PostAsync(client, Chat.Body("Hello"), "request-b");
        using var anonymous = await Chat.PostAsync(client, Chat.Body("Hello"));

        Assert.Equal(5, server.Stats.TotalCalls);
        Assert.Equal(3, server.Stats.CallsFor("request-a"));
        Assert.Equal(1, server.Stats.CallsFor("request-b"));
        Assert.Equal(0, server.Stats.CallsFor("request-c"));
        Assert.Equal(
            new Dictionary<string, long> { ["request-a"] = 3, ["request-b"] = 1 },
            server.Stats.CallsByRequestId());
    }

    [Fact]
    public async Task Should_report_the_counts_over_http_and_reset_them()
    {
        await using var server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var first = await Chat.PostAsync(client, Chat.Body("Hi"), "request-a");
        using var second = await Chat.PostAsync(client, Chat.Body("Hi"), "request-a");

        using var statsResponse = await client.GetAsync(new Uri("stats", UriKind.Relative));
        var stats = await Chat.ReadJsonAsync(statsResponse);
        using var perRequestResponse = await client.GetAsync(new Uri("stats/requests/request-a", UriKind.Relative));
        var perRequest = await Chat.ReadJsonAsync(perRequestResponse);
        using var reset = await client.PostAsync(new Uri("stats/reset", UriKind.Relative), null);

        Assert.Equal(2, stats.GetProperty("totalCalls").GetInt64());
        Assert.Equal(2, stats.GetProperty("byRequestId").GetProperty("request-a").GetInt64());
        Assert.Equal("request-a", perRequest.GetProperty("requestId").GetString());
        Assert.Equal(2, perRequest.GetProperty("calls").GetInt64());
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(0, server.Stats.TotalCalls);
        Assert.Empty(server.Stats.CallsByRequestId());
    }

    [Fact]
    public async Task Should_count_concurrent_calls_without_losing_any()
    {
        await using var server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Chat.OutcomeAsync(client, Chat.Body($"Concurrent {i % 10}"))));

        Assert.Equal(200, server.Stats.TotalCalls);
    }
}
