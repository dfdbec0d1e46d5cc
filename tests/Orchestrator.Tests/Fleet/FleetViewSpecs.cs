using Orchestrator.Contracts;
using Orchestrator.Fleet;
using Orchestrator.Tests.Workers;

namespace Orchestrator.Tests.Fleet;

/// <summary>The orchestrator's view of the fleet: which models are held, and what the dashboard shows.</summary>
public sealed class FleetViewSpecs
{
    readonly ManualClock _clock = new();

    WorkerHeartbeat Heartbeat(string worker, params (string Model, string Endpoint, string Breaker)[] endpoints) => new()
    {
        WorkerId = worker,
        At = _clock.GetUtcNow(),
        Interval = TimeSpan.FromSeconds(5),
        ConcurrencyLimit = 8,
        Endpoints = endpoints.Select(e => new EndpointReport { Model = e.Model, Endpoint = e.Endpoint, Breaker = e.Breaker, InFlight = 1 }).ToList(),
    };

    EndpointCoolingDown Cooldown(string endpoint, int seconds, string worker = "w1") => new()
    {
        Endpoint = endpoint,
        Model = "sim",
        Until = _clock.GetUtcNow().AddSeconds(seconds),
        Cause = EndpointCoolingDown.RetryAfterCause,
        Reason = $"HTTP 429 with Retry-After {seconds} s",
        WorkerId = worker,
        At = _clock.GetUtcNow(),
    };

    [Fact]
    public void Should_hold_a_model_only_while_every_endpoint_of_it_cools_down()
    {
        var fleet = new FleetView(_clock);
        Assert.Null(fleet.HoldFor("sim")); // no worker has reported: nothing to hold on

        fleet.Heard(Heartbeat("w1", ("sim", "a", "Closed"), ("sim", "b", "Closed"), ("other", "c", "Closed")));
        fleet.Heard(Heartbeat("w2", ("sim", "a", "Open")));
        fleet.Heard(Cooldown("a", 10));
        Assert.Null(fleet.HoldFor("sim")); // b is free

        fleet.Heard(Cooldown("b", 4, "w2"));
        var hold = fleet.HoldFor("sim");
        Assert.NotNull(hold);
        Assert.Equal(_clock.GetUtcNow().AddSeconds(4), hold.Until); // the first endpoint to be free again
        Assert.StartsWith("every endpoint of model 'sim' is cooling down: ", hold.Reason, StringComparison.Ordinal);
        Assert.Contains("b until", hold.Reason, StringComparison.Ordinal);
        Assert.Contains("seen by w2", hold.Reason, StringComparison.Ordinal);
        Assert.Null(fleet.HoldFor("other"));

        // A shorter cooldown of the same endpoint does not cut the longer one short.
        fleet.Heard(Cooldown("a", 1));
        _clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Null(fleet.HoldFor("sim"));
        Assert.Equal(_clock.GetUtcNow().AddSeconds(6), fleet.Snapshot().Endpoints.Single(e => e.Endpoint == "a").CoolingUntil);
    }

    [Fact]
    public void Should_show_each_endpoint_with_every_workers_breaker_and_forget_silent_workers()
    {
        var fleet = new FleetView(_clock);
        fleet.Heard(Heartbeat("w1", ("sim", "a", "Closed")));
        fleet.Heard(Heartbeat("w2", ("sim", "a", "Open")));

        var snapshot = fleet.Snapshot();
        Assert.Equal(["w1", "w2"], snapshot.Workers.Select(w => w.WorkerId));
        var a = Assert.Single(snapshot.Endpoints);
        Assert.Equal(2, a.InFlight);
        Assert.Equal([("w1", "Closed"), ("w2", "Open")], a.Breakers.Select(b => (b.WorkerId, b.State)));

        fleet.Heard(Heartbeat("w2", ("sim", "a", "Open")) with { Stopping = true });
        Assert.Equal(["w1"], fleet.Snapshot().Workers.Select(w => w.WorkerId));
        _clock.Advance(TimeSpan.FromSeconds(16)); // three missed heartbeats
        Assert.Empty(fleet.Snapshot().Workers);
        Assert.Empty(fleet.Snapshot().Endpoints);
    }
}
