using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Contracts;
using Orchestrator.SimulatedModel;
using Orchestrator.Workers.Fleet;
using Orchestrator.Workers.Resilience;

namespace Orchestrator.Tests.Workers;

/// <summary>
/// A worker tells the fleet when an endpoint must rest (a 429 with Retry-After, a breaker that opened) and honours what
/// the other workers tell it; it keeps its calls within each endpoint's in-flight limit. Real simulated model servers
/// count every call that reaches them.
/// </summary>
public sealed class When_the_fleet_shares_endpoint_news : IAsyncLifetime
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

    Dictionary<string, string?> Settings(bool withFallback, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Workers:WorkerId"] = "worker-a",
            ["Workers:Models:sim:Endpoints:0:Name"] = "primary",
            ["Workers:Models:sim:Endpoints:0:BaseUrl"] = _primary.BaseAddress.ToString(),
        };
        if (withFallback)
        {
            settings["Workers:Models:sim:Endpoints:1:Name"] = "fallback";
            settings["Workers:Models:sim:Endpoints:1:BaseUrl"] = _fallback.BaseAddress.ToString();
            settings["Workers:Models:sim:Endpoints:1:Priority"] = "1";
        }
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return settings;
    }

    [Fact]
    public async Task Should_publish_a_cooldown_for_a_429_with_Retry_After_and_make_no_call_until_it_ends()
    {
        // A cooldown longer than the worker would hold an invoke for: refused at once, for the orchestrator to hold.
        await using var worker = await WorkerSpecHarness.StartAsync(Settings(withFallback: false, new() { ["Workers:HoldWhileOpen"] = "00:00:10" }), _clock);
        const string id = "cool-1";
        const string script = "[[sim: 429:30, ok]]";

        var limited = Assert.IsType<AttemptFailed>(await worker.AttemptAsync(id, 1, script));
        Assert.Equal((FailureKind.Transient, 429, TimeSpan.FromSeconds(30)), (limited.Kind, limited.HttpStatus, limited.RetryAfter));
        var news = Assert.Single(worker.Harness.Published.Select<EndpointCoolingDown>()).Context.Message;
        Assert.Equal(("primary", "sim", EndpointCoolingDown.RetryAfterCause, "worker-a"), (news.Endpoint, news.Model, news.Cause, news.WorkerId));
        Assert.Equal(_clock.GetUtcNow().AddSeconds(30), news.Until);
        Assert.Contains("Retry-After 30 s", news.Reason, StringComparison.Ordinal);

        // Cooling down: the next attempt makes no call and says when to come back.
        var refused = Assert.IsType<AttemptFailed>(await worker.AttemptAsync(id, 2, script));
        Assert.Equal(FailureKind.CircuitOpen, refused.Kind);
        Assert.Equal(news.Until, refused.RetryAt);
        Assert.Contains("primary cooling down (HTTP 429 with Retry-After 30 s) until", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(1, _primary.Stats.CallsFor(id));

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.IsType<AttemptSucceeded>(await worker.AttemptAsync(id, 3, script));
        Assert.Equal(2, _primary.Stats.CallsFor(id));
    }

    [Fact]
    public async Task Should_publish_a_cooldown_when_its_breaker_opens()
    {
        await using var worker = await WorkerSpecHarness.StartAsync(Settings(withFallback: false), _clock);
        for (var attempt = 1; attempt <= 3; attempt++)
            Assert.IsType<AttemptFailed>(await worker.AttemptAsync("cool-2", attempt, "[[sim: 503, 503, 503]]"));

        var news = Assert.Single(worker.Harness.Published.Select<EndpointCoolingDown>()).Context.Message;
        Assert.Equal(("primary", EndpointCoolingDown.BreakerOpenCause), (news.Endpoint, news.Cause));
        Assert.Equal(_clock.GetUtcNow().AddSeconds(5), news.Until);
        Assert.Contains("HTTP 503", news.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_honour_another_workers_cooldown_by_falling_back_without_calling_the_endpoint()
    {
        await using var worker = await WorkerSpecHarness.StartAsync(Settings(withFallback: true), _clock);
        await worker.Harness.Bus.Publish(new EndpointCoolingDown
        {
            Endpoint = "primary",
            Model = "sim",
            Until = _clock.GetUtcNow().AddSeconds(20),
            Cause = EndpointCoolingDown.RetryAfterCause,
            Reason = "HTTP 429 with Retry-After 20 s",
            WorkerId = "worker-b",
            At = _clock.GetUtcNow(),
        });
        Assert.True(await worker.Harness.Consumed.Any<EndpointCoolingDown>());

        var served = Assert.IsType<AttemptSucceeded>(await worker.AttemptAsync("cool-3", 1));
        Assert.Equal("fallback", served.Endpoint);
        Assert.Equal(0, _primary.Stats.CallsFor("cool-3"));

        // Once the cooldown is over the primary serves again.
        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal("primary", Assert.IsType<AttemptSucceeded>(await worker.AttemptAsync("cool-4", 1)).Endpoint);
    }

    [Fact]
    public async Task Should_ignore_its_own_cooldown_when_it_comes_back_and_count_peers_from_heartbeats()
    {
        await using var worker = await WorkerSpecHarness.StartAsync(Settings(withFallback: false), _clock);
        // Its own breaker-open news, delivered back to it: the breaker alone decides; no cooldown is added.
        await worker.Harness.Bus.Publish(new EndpointCoolingDown
        {
            Endpoint = "primary",
            Model = "sim",
            Until = _clock.GetUtcNow().AddSeconds(60),
            Cause = EndpointCoolingDown.BreakerOpenCause,
            Reason = "circuit breaker opened",
            WorkerId = "worker-a",
            At = _clock.GetUtcNow(),
        });
        await worker.Harness.Bus.Publish(new WorkerHeartbeat { WorkerId = "worker-b", At = _clock.GetUtcNow(), Interval = TimeSpan.FromSeconds(5) });
        await Eventually.True(() => worker.Harness.Consumed.Select<EndpointCoolingDown>().Any() && worker.Harness.Consumed.Select<WorkerHeartbeat>().Any(),
            WorkerSpecHarness.Patience, "the worker consumed the cooldown and the heartbeat");
        Assert.Equal("primary", Assert.IsType<AttemptSucceeded>(await worker.AttemptAsync("cool-5", 1)).Endpoint);

        var peers = worker.Services.GetRequiredService<FleetPeers>();
        Assert.Equal(2, peers.Count);
        // Three missed heartbeats and the peer is gone; a stopping heartbeat removes it at once.
        _clock.Advance(TimeSpan.FromSeconds(16));
        Assert.Equal(1, peers.Count);
        peers.Heard(new WorkerHeartbeat { WorkerId = "worker-c", At = _clock.GetUtcNow(), Interval = TimeSpan.FromSeconds(5) });
        Assert.Equal(2, peers.Count);
        peers.Heard(new WorkerHeartbeat { WorkerId = "worker-c", At = _clock.GetUtcNow(), Interval = TimeSpan.FromSeconds(5), Stopping = true });
        Assert.Equal(1, peers.Count);
    }

    [Fact]
    public async Task Should_keep_calls_to_an_endpoint_within_its_in_flight_limit_and_queue_the_rest()
    {
        await using var worker = await WorkerSpecHarness.StartAsync(
            Settings(withFallback: false, new() { ["Workers:Models:sim:Endpoints:0:MaxInFlight"] = "1" }), _clock);
        // Two slow calls at once: the second waits for the first to end, in the worker, without failing.
        await worker.Harness.Bus.Publish(WorkerSpecHarness.Invoke("busy-1", 1, "[[sim: slow:600]]"));
        await worker.Harness.Bus.Publish(WorkerSpecHarness.Invoke("busy-2", 1, "[[sim: slow:600]]"));
        await Eventually.True(() => worker.Result("busy-1", 1) is not null && worker.Result("busy-2", 1) is not null,
            WorkerSpecHarness.Patience, "results for busy-1 and busy-2");

        var first = Assert.IsType<AttemptSucceeded>(worker.Result("busy-1", 1));
        var second = Assert.IsType<AttemptSucceeded>(worker.Result("busy-2", 1));
        var (earlier, later) = first.FinishedAt <= second.FinishedAt ? (first, second) : (second, first);
        // Real time (the server's log): the later call reached the server only after the earlier one was answered.
        var calls = _primary.Stats.RecentCalls();
        var arrivals = calls.Where(c => c.RequestId is "busy-1" or "busy-2").Select(c => c.At).Order().ToList();
        Assert.Equal(2, arrivals.Count);
        Assert.True(arrivals[1] - arrivals[0] >= TimeSpan.FromMilliseconds(550),
            $"the second call arrived {(arrivals[1] - arrivals[0]).TotalMilliseconds:0} ms after the first; the limit allows one at a time");
        Assert.NotEqual(earlier.RequestId, later.RequestId);
    }

    [Fact]
    public async Task Should_let_a_higher_priority_attempt_take_a_freed_slot_before_a_lower_one_that_waited_longer()
    {
        await using var worker = await WorkerSpecHarness.StartAsync(
            Settings(withFallback: false, new() { ["Workers:Models:sim:Endpoints:0:MaxInFlight"] = "1" }), _clock);
        // The busy call holds the one slot long enough for both others to queue behind it, even on a loaded machine.
        await worker.Harness.Bus.Publish(WorkerSpecHarness.Invoke("prio-busy", 1, "[[sim: slow:4000]]"));
        await Eventually.Until(() => _primary.Stats.CallsFor("prio-busy"), calls => calls == 1, WorkerSpecHarness.Patience, "one call of prio-busy at the model");
        // Both wait inside the worker for the one slot: the low one first, the urgent one after it.
        var limits = worker.Services.GetRequiredService<EndpointLimits>();
        await worker.Harness.Bus.Publish(WorkerSpecHarness.Invoke("prio-low", 1) with { Priority = 1 });
        await Eventually.Until(() => limits.WaitingFor("sim"), waiting => waiting == 1, WorkerSpecHarness.Patience, "one invoke waiting for a slot of sim");
        await worker.Harness.Bus.Publish(WorkerSpecHarness.Invoke("prio-high", 1) with { Priority = 5 });
        await Eventually.Until(() => limits.WaitingFor("sim"), waiting => waiting == 2, WorkerSpecHarness.Patience, "two invokes waiting for a slot of sim");
        Assert.Equal(1, _primary.Stats.CallsFor("prio-busy"));
        Assert.Equal(0, _primary.Stats.CallsFor("prio-low") + _primary.Stats.CallsFor("prio-high"));
        await Eventually.True(() => worker.Result("prio-low", 1) is not null && worker.Result("prio-high", 1) is not null,
            WorkerSpecHarness.Patience, "results for prio-low and prio-high");

        var order = _primary.Stats.RecentCalls().Where(c => c.RequestId is "prio-low" or "prio-high").Select(c => c.RequestId).ToList();
        Assert.Equal(["prio-high", "prio-low"], order);
    }
}
