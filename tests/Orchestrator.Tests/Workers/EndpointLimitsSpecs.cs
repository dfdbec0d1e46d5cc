using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Workers.Fleet;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.Resilience;

namespace Orchestrator.Tests.Workers;

/// <summary>A worker's share of an endpoint's fleet-wide rate limit, and the in-flight limit.</summary>
public sealed class EndpointLimitsSpecs
{
    readonly ManualClock _clock = new();

    (EndpointLimits Limits, FleetPeers Peers) Create()
    {
        var peers = new FleetPeers(Options.Create(new WorkerOptions { WorkerId = "me", HeartbeatInterval = TimeSpan.FromSeconds(5) }), _clock);
        return (new EndpointLimits(peers, _clock), peers);
    }

    static EndpointOptions Endpoint(int? perMinute = null, int? maxInFlight = null, TimeSpan? window = null) => new()
    {
        Name = "e",
        BaseUrl = "http://127.0.0.1:1/",
        RequestsPerMinute = perMinute,
        MaxInFlight = maxInFlight,
        RateLimitWindow = window ?? TimeSpan.FromMinutes(1),
    };

    [Theory]
    [InlineData(60, 60, 1, 60, 60)]
    [InlineData(60, 60, 2, 30, 60)]
    [InlineData(60, 60, 7, 8, 60)]       // floor(60 / 7): the fleet stays within the limit
    [InlineData(120, 5, 2, 5, 5)]        // 10 permits per 5 s, shared by two workers
    [InlineData(2, 60, 4, 1, 120)]       // fewer permits than workers: one call per stretched window each
    public void Should_share_the_limit_equally_among_live_workers(int perMinute, int windowSeconds, int workers, int allowed, int shareWindowSeconds)
    {
        var (count, window) = EndpointLimits.Share(perMinute, TimeSpan.FromSeconds(windowSeconds), workers);
        Assert.Equal((allowed, TimeSpan.FromSeconds(shareWindowSeconds)), (count, window));
    }

    [Fact]
    public void Should_wait_to_learn_the_fleet_then_refuse_calls_beyond_its_share_until_the_window_moves()
    {
        var (limits, peers) = Create();
        var endpoint = Endpoint(perMinute: 4);

        Assert.Null(limits.TryAcquire(endpoint, out var learnUntil, out var why));
        Assert.Equal(DateTimeOffset.MaxValue, learnUntil); // not even listening yet
        peers.Listening();
        Assert.Null(limits.TryAcquire(endpoint, out learnUntil, out why));
        Assert.Equal(_clock.GetUtcNow().AddSeconds(6), learnUntil);
        Assert.Contains("learning the fleet", why, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromSeconds(6));
        peers.Heard(new WorkerHeartbeat { WorkerId = "other", At = _clock.GetUtcNow(), Interval = TimeSpan.FromSeconds(5) });
        // Two workers: this one may make 2 of the 4 calls a minute. A call counts until a window after it ended.
        using (limits.TryAcquire(endpoint, out _, out _)) { }
        _clock.Advance(TimeSpan.FromSeconds(10));
        var running = limits.TryAcquire(endpoint, out _, out _);
        Assert.NotNull(running);
        Assert.Null(limits.TryAcquire(endpoint, out var freeAt, out why));
        Assert.Equal(_clock.GetUtcNow().AddSeconds(50), freeAt);
        Assert.Contains("share is 2 calls per 60 s", why, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromSeconds(50));
        peers.Heard(new WorkerHeartbeat { WorkerId = "other", At = _clock.GetUtcNow(), Interval = TimeSpan.FromSeconds(5) });
        var third = limits.TryAcquire(endpoint, out _, out _);
        Assert.NotNull(third);
        // The second call has run for 50 s: it still counts, and frees the window only a minute after it ends.
        Assert.Null(limits.TryAcquire(endpoint, out _, out _));
        running!.Dispose();
        third!.Dispose();
        Assert.Null(limits.TryAcquire(endpoint, out freeAt, out _));
        Assert.Equal(_clock.GetUtcNow().AddSeconds(60), freeAt);
        _clock.Advance(TimeSpan.FromSeconds(60));
        peers.Heard(new WorkerHeartbeat { WorkerId = "other", At = _clock.GetUtcNow(), Interval = TimeSpan.FromSeconds(5) });
        Assert.NotNull(limits.TryAcquire(endpoint, out _, out _));
    }

    [Fact]
    public async Task Should_refuse_a_call_beyond_the_in_flight_limit_until_one_ends()
    {
        var (limits, _) = Create();
        var endpoint = Endpoint(maxInFlight: 2);
        var a = limits.TryAcquire(endpoint, out _, out _);
        var b = limits.TryAcquire(endpoint, out _, out _);
        Assert.NotNull(a);
        Assert.NotNull(b);
        Assert.Equal(2, limits.InFlight("e"));
        Assert.Null(limits.TryAcquire(endpoint, out _, out var why));
        Assert.Contains("2 calls in flight (limit 2)", why, StringComparison.Ordinal);

        var woken = limits.WaitForChangeAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        a!.Dispose();
        a.Dispose(); // twice is once
        await Eventually.Completes(woken, TimeSpan.FromSeconds(5), "a released slot should wake the waiters");
        Assert.Equal(1, limits.InFlight("e"));
        Assert.NotNull(limits.TryAcquire(endpoint, out _, out _));
        b!.Dispose();
    }
}
