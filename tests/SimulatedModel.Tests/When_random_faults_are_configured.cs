using System.Net;
using Orchestrator.SimulatedModel;

namespace SimulatedModel.Tests;

public sealed class When_random_faults_are_configured
{
    [Fact]
    public async Task Should_fail_every_unscripted_call_with_503_when_the_rate_is_1_and_the_mix_only_503()
    {
        var options = new SimulatedModelOptions { FaultRate = 1, FaultMix = new() { ["503"] = 1 } };
        await using var server = await SimulatedModelServer.StartAsync(options);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("503", await Chat.OutcomeAsync(client, Chat.Body($"Question number {i}")));
        }
    }

    [Fact]
    public async Task Should_never_fault_a_scripted_call()
    {
        var options = new SimulatedModelOptions { FaultRate = 1, FaultMix = new() { ["503"] = 1 } };
        await using var server = await SimulatedModelServer.StartAsync(options);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        Assert.Equal("500", await Chat.OutcomeAsync(client, Chat.Body("Hi [[sim: 500]]")));
        Assert.Equal("200", await Chat.OutcomeAsync(client, Chat.Body("Hi [[sim: 500]]")));
        Assert.Equal("200", await Chat.OutcomeAsync(client, Chat.Body("Hi [[sim: ok]]")));
    }

    [Fact]
    public async Task Should_use_the_configured_Retry_After_for_random_429s()
    {
        var options = new SimulatedModelOptions { FaultRate = 1, FaultMix = new() { ["429"] = 1 }, RetryAfterSeconds = 7 };
        await using var server = await SimulatedModelServer.StartAsync(options);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        using var response = await Chat.PostAsync(client, Chat.Body("Hi"));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Should_repeat_the_same_fault_sequence_for_the_same_seed()
    {
        var first = await FaultSequenceAsync(seed: 42);
        var second = await FaultSequenceAsync(seed: 42);

        Assert.Equal(first, second);

        // FaultRate 0.5 over 50 prompts: both outcomes must actually occur for the comparison to mean anything.
        Assert.Contains("200", first);
        Assert.Contains(first, outcome => outcome != "200");
    }

    [Fact]
    public async Task Should_give_a_different_fault_sequence_for_a_different_seed()
    {
        var first = await FaultSequenceAsync(seed: 42);
        var other = await FaultSequenceAsync(seed: 4242);

        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task Should_add_the_base_latency_to_a_normal_answer()
    {
        var options = new SimulatedModelOptions { LatencyMs = 20, LatencyJitterMs = 30 };
        await using var server = await SimulatedModelServer.StartAsync(options);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.Equal("200", await Chat.OutcomeAsync(client, Chat.Body("Latency please")));

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(20), $"answered after {clock.Elapsed}");
    }

    /// <summary>The outcome of one call for each of 50 distinct prompts, against a fresh server with the seed.</summary>
    static async Task<IReadOnlyList<string>> FaultSequenceAsync(int seed)
    {
        var options = new SimulatedModelOptions { Seed = seed, FaultRate = 0.5 };
        await using var server = await SimulatedModelServer.StartAsync(options);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        // Sent concurrently: outcomes must depend on the inputs only, not on the order the calls arrive in.
        return await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Chat.OutcomeAsync(client, Chat.Body($"Distinct prompt {i}"))));
    }
}
