using Orchestrator.Contracts;
using Orchestrator.SimulatedModel;

namespace Orchestrator.Tests.Workers;

/// <summary>
/// A worker with token quotas and rate-limit headers, against real simulated model servers: a request over every
/// endpoint's quota fails at once without a call, one over some goes to an endpoint it fits, and headers saying the quota
/// is spent cool the endpoint down for the fleet.
/// </summary>
public sealed class When_an_endpoint_limits_tokens : IAsyncLifetime
{
    readonly ManualClock _clock = new();
    SimulatedModelServer _primary = null!;
    SimulatedModelServer _fallback = null!;

    public async Task InitializeAsync()
    {
        _primary = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        _fallback = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
    }

    public async Task DisposeAsync()
    {
        await _primary.DisposeAsync();
        await _fallback.DisposeAsync();
    }

    // An invoke of the harness estimates to about 1040 tokens: a short prompt and the default max_tokens of 1024.
    async Task<WorkerSpecHarness> StartAsync(int primaryQuota, int? fallbackQuota, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Workers:WorkerId"] = "worker-a",
            ["Workers:HoldWhileOpen"] = "00:00:10",
            ["Workers:Models:sim:Endpoints:0:Name"] = "primary",
            ["Workers:Models:sim:Endpoints:0:BaseUrl"] = _primary.BaseAddress.ToString(),
            ["Workers:Models:sim:Endpoints:0:TokensPerMinute"] = primaryQuota.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (fallbackQuota is { } quota)
        {
            settings["Workers:Models:sim:Endpoints:1:Name"] = "fallback";
            settings["Workers:Models:sim:Endpoints:1:BaseUrl"] = _fallback.BaseAddress.ToString();
            settings["Workers:Models:sim:Endpoints:1:Priority"] = "1";
            settings["Workers:Models:sim:Endpoints:1:TokensPerMinute"] = quota.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        var worker = await WorkerSpecHarness.StartAsync(settings, _clock);
        // Past the time the worker has heard the (empty) fleet and knows its share.
        _clock.Advance(TimeSpan.FromSeconds(10));
        return worker;
    }

    [Fact]
    public async Task Should_fail_a_request_over_every_endpoints_quota_at_once_permanently_without_a_call()
    {
        await using var worker = await StartAsync(primaryQuota: 1_000, fallbackQuota: 500);

        var failed = Assert.IsType<AttemptFailed>(await worker.AttemptAsync("huge-1", 1));

        Assert.Equal((FailureKind.Permanent, "token-quota"), (failed.Kind, failed.Cause));
        Assert.StartsWith("the request can never fit the token quota of model 'sim': primary allows 1000 tokens per minute, the request needs an estimated",
            failed.Reason, StringComparison.Ordinal);
        Assert.Contains("fallback allows 500 tokens per minute", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(0, _primary.Stats.CallsFor("huge-1") + _fallback.Stats.CallsFor("huge-1"));
    }

    [Fact]
    public async Task Should_send_a_request_over_one_endpoints_quota_to_one_it_fits()
    {
        await using var worker = await StartAsync(primaryQuota: 1_000, fallbackQuota: 100_000);

        var served = Assert.IsType<AttemptSucceeded>(await worker.AttemptAsync("big-1", 1));

        Assert.Equal("fallback", served.Endpoint);
        Assert.True(served.Usage?.TotalTokens > 0, "the simulated model reports usage");
        Assert.Equal((0L, 1L), (_primary.Stats.CallsFor("big-1"), _fallback.Stats.CallsFor("big-1")));
    }

    [Fact]
    public async Task Should_cool_the_endpoint_down_for_the_fleet_when_its_headers_say_the_quota_is_spent()
    {
        await using var worker = await StartAsync(primaryQuota: 100_000, fallbackQuota: null);
        const string script = "[[sim: exhausted:30, ok]]";

        // The answer itself is good; its headers say nothing is left for 30 s.
        Assert.IsType<AttemptSucceeded>(await worker.AttemptAsync("spent-1", 1, script));
        var news = Assert.Single(worker.Harness.Published.Select<EndpointCoolingDown>()).Context.Message;
        Assert.Equal(("primary", EndpointCoolingDown.RateLimitHeadersCause, "worker-a"), (news.Endpoint, news.Cause, news.WorkerId));
        Assert.Equal(_clock.GetUtcNow().AddSeconds(30), news.Until);
        Assert.Contains("x-ratelimit-remaining-requests 0, reset in 30 s", news.Reason, StringComparison.Ordinal);

        var refused = Assert.IsType<AttemptFailed>(await worker.AttemptAsync("spent-2", 1));
        Assert.Equal((FailureKind.CircuitOpen, news.Until), (refused.Kind, refused.RetryAt));
        Assert.Equal(0, _primary.Stats.CallsFor("spent-2"));

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.IsType<AttemptSucceeded>(await worker.AttemptAsync("spent-2", 2));
    }

    [Fact]
    public async Task Should_cap_a_cooldown_from_headers_at_the_maximum()
    {
        await using var worker = await StartAsync(primaryQuota: 100_000, fallbackQuota: null, new() { ["Workers:MaxCooldown"] = "00:00:20" });

        Assert.IsType<AttemptSucceeded>(await worker.AttemptAsync("spent-3", 1, "[[sim: exhausted:3600]]"));

        var news = Assert.Single(worker.Harness.Published.Select<EndpointCoolingDown>()).Context.Message;
        Assert.Equal(_clock.GetUtcNow().AddSeconds(20), news.Until);
    }
}
