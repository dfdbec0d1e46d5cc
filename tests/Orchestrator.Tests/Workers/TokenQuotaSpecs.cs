using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Workers.Fleet;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.Resilience;

namespace Orchestrator.Tests.Workers;

/// <summary>
/// An endpoint's TokensPerMinute shared by the fleet: each worker reserves a call's estimate, corrected by the answer's
/// usage, within its share of the window; on a clock the spec moves.
/// </summary>
public sealed class TokenQuotaSpecs
{
    static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);
    readonly ManualClock _clock = new();

    static EndpointOptions Endpoint(int tokensPerMinute, string name = "e") => new()
    {
        Name = name,
        BaseUrl = "http://127.0.0.1:1/",
        TokensPerMinute = tokensPerMinute,
    };

    /// <summary>Workers whose peers have heard each other, past the time they learn the fleet's size.</summary>
    (EndpointLimits Limits, FleetPeers Peers)[] Fleet(int size)
    {
        var workers = Enumerable.Range(0, size).Select(i =>
        {
            var peers = new FleetPeers(Options.Create(new WorkerOptions { WorkerId = $"w{i}", HeartbeatInterval = Heartbeat }), _clock);
            peers.Listening();
            return (Limits: new EndpointLimits(peers, _clock), Peers: peers);
        }).ToArray();
        _clock.Advance(Heartbeat * 2);
        Beat(workers);
        return workers;
    }

    void Beat((EndpointLimits Limits, FleetPeers Peers)[] workers)
    {
        for (var i = 0; i < workers.Length; i++)
        {
            foreach (var (_, peers) in workers)
                peers.Heard(new WorkerHeartbeat { WorkerId = $"w{i}", At = _clock.GetUtcNow(), Interval = Heartbeat });
        }
    }

    sealed record Call(int Worker, EndpointSlot Slot, DateTimeOffset StartedAt, DateTimeOffset EndsAt, int Used);

    [Fact]
    public void Should_keep_three_workers_within_the_fleets_quota_in_every_window_while_usage_corrections_free_room()
    {
        const int quota = 9_000;
        var endpoint = Endpoint(quota);
        var workers = Fleet(3);
        var random = new Random(2026);
        var running = new List<Call>();
        var sent = new List<(DateTimeOffset StartedAt, DateTimeOffset EndedAt, int Tokens)>();
        long estimated = 0;
        var start = _clock.GetUtcNow();

        // Ten minutes in steps of 250 ms: each worker starts calls while its share lets it; calls last 0-8 s and use
        // between a tenth and all of their estimate (the answer is at most max_tokens; the prompt estimate errs high).
        for (var step = 0; step < 2_400; step++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(250));
            if (step % 20 == 0)
                Beat(workers);
            var now = _clock.GetUtcNow();
            foreach (var ended in running.Where(c => c.EndsAt <= now).ToList())
            {
                ended.Slot.Settle(new TokenUsage { TotalTokens = ended.Used }, succeeded: true);
                ended.Slot.Dispose();
                running.Remove(ended);
                sent.Add((ended.StartedAt, now, ended.Used));
            }
            for (var w = 0; w < workers.Length; w++)
            {
                while (true)
                {
                    var estimate = new TokenEstimate(random.Next(50, 400), random.Next(50, 600));
                    var slot = workers[w].Limits.TryAcquire(endpoint, estimate, out var retryAt, out var why);
                    if (slot is null)
                    {
                        Assert.True(retryAt > now, $"a refused call must be told a later time to look again ({why})");
                        break;
                    }
                    estimated += estimate.Total;
                    var used = (int)(estimate.Total * (0.1 + (0.9 * random.NextDouble())));
                    running.Add(new Call(w, slot, now, now + TimeSpan.FromMilliseconds(random.Next(0, 8_000)), used));
                }
            }
        }

        // The endpoint may count a call's tokens at any moment from its start to its end: whichever it picks, no window
        // of a minute holds more than the quota.
        foreach (var at in sent.SelectMany(c => new[] { c.StartedAt, c.EndedAt }).Distinct())
        {
            var byStart = sent.Where(c => c.StartedAt >= at && c.StartedAt < at.AddMinutes(1)).Sum(c => c.Tokens);
            var byEnd = sent.Where(c => c.EndedAt >= at && c.EndedAt < at.AddMinutes(1)).Sum(c => c.Tokens);
            Assert.True(byStart <= quota, $"{byStart} tokens started in the minute from {at:O}, over the quota {quota}");
            Assert.True(byEnd <= quota, $"{byEnd} tokens ended in the minute from {at:O}, over the quota {quota}");
        }
        // Corrections to the (smaller) usage freed room: the fleet sent more estimated tokens than the quota allows over
        // the run, which reserving estimates alone could not have done.
        var minutes = (_clock.GetUtcNow() - start).TotalMinutes;
        Assert.True(estimated > quota * minutes, $"estimates of {estimated} tokens started in {minutes} minutes: corrections freed no room");
        Assert.True(sent.Sum(c => c.Tokens) > quota * minutes * 0.5, "the fleet used less than half its quota: the share is too strict");
    }

    [Fact]
    public void Should_free_room_when_the_usage_is_below_the_estimate_and_take_room_when_above()
    {
        var endpoint = Endpoint(1_000);
        var (limits, _) = Fleet(1)[0];

        var first = limits.TryAcquire(endpoint, new TokenEstimate(100, 500), out _, out _);
        Assert.NotNull(first);
        Assert.Null(limits.TryAcquire(endpoint, new TokenEstimate(100, 500), out _, out var why));
        Assert.Contains("token limit: this worker's share is 1000 tokens per 60 s, 600 reserved, this call needs 600", why, StringComparison.Ordinal);

        // The answer used 150 tokens: 850 are free again.
        first!.Settle(new TokenUsage { PromptTokens = 100, CompletionTokens = 50, TotalTokens = 150 }, succeeded: true);
        first.Dispose();
        var second = limits.TryAcquire(endpoint, new TokenEstimate(100, 500), out _, out _);
        Assert.NotNull(second);

        // This one used more than its estimate (a long prompt): the window holds 1050, and nothing fits until the calls leave it.
        second!.Settle(new TokenUsage { TotalTokens = 900 }, succeeded: true);
        _clock.Advance(TimeSpan.FromSeconds(10));
        second.Dispose();
        Assert.Null(limits.TryAcquire(endpoint, new TokenEstimate(10, 10), out var freeAt, out _));
        // Room comes when the first call leaves the window, a minute after it ended.
        Assert.Equal(_clock.GetUtcNow().AddSeconds(50), freeAt);
        _clock.Advance(TimeSpan.FromSeconds(50));
        Assert.NotNull(limits.TryAcquire(endpoint, new TokenEstimate(10, 10), out _, out _));
    }

    [Fact]
    public void Should_keep_only_the_prompt_estimate_of_a_failed_call_without_usage()
    {
        var endpoint = Endpoint(1_000);
        var (limits, _) = Fleet(1)[0];

        var failed = limits.TryAcquire(endpoint, new TokenEstimate(300, 600), out _, out _);
        failed!.Settle(usage: null, succeeded: false);
        failed.Dispose();

        Assert.NotNull(limits.TryAcquire(endpoint, new TokenEstimate(100, 600), out _, out _));
        Assert.Null(limits.TryAcquire(endpoint, new TokenEstimate(0, 1), out _, out var why));
        Assert.Contains("1000 reserved", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_let_a_call_bigger_than_the_share_go_alone_and_hold_the_window_in_proportion()
    {
        // Three workers share 3000 a minute: 1000 each. A call of 2000 fits the fleet's quota but not a worker's share.
        var endpoint = Endpoint(3_000);
        var fleet = Fleet(3);
        var limits = fleet[0].Limits;
        var small = limits.TryAcquire(endpoint, new TokenEstimate(100, 100), out _, out _);
        Assert.Null(limits.TryAcquire(endpoint, new TokenEstimate(1_000, 1_000), out _, out _));
        small!.Dispose();
        _clock.Advance(TimeSpan.FromSeconds(60));
        Beat(fleet);

        var big = limits.TryAcquire(endpoint, new TokenEstimate(1_000, 1_000), out _, out _);
        Assert.NotNull(big);
        big!.Settle(new TokenUsage { TotalTokens = 2_000 }, succeeded: true);
        big.Dispose();
        // Twice the share: it holds the window two minutes, so the worker's average stays within its share.
        Assert.Null(limits.TryAcquire(endpoint, new TokenEstimate(1, 1), out var freeAt, out _));
        Assert.Equal(_clock.GetUtcNow().AddMinutes(2), freeAt);
    }

    [Fact]
    public void Should_estimate_text_by_characters_images_by_a_fixed_figure_and_the_answer_by_max_tokens_or_the_default()
    {
        var endpoint = Endpoint(1_000);
        endpoint.DefaultMaxTokens = 256;
        var invoke = new InvokeModel
        {
            RequestId = "r",
            Attempt = 1,
            Model = "m",
            Messages =
            [
                new ChatMessage { Role = "system", Content = [ContentPart.FromText(new string('a', 40))] },
                new ChatMessage
                {
                    Role = "user",
                    Content = [ContentPart.FromText(new string('b', 9)), ContentPart.FromImageUrl("https://img/1"), ContentPart.FromImageUrl("https://img/2", "low")],
                },
            ],
        };

        // 3 reply + 2 × 4 per message + 10 + 3 (9 characters, rounded up) + 765 + 85.
        Assert.Equal(new TokenEstimate(874, 256), TokenEstimate.For(invoke, endpoint));
        Assert.Equal(new TokenEstimate(874, 50), TokenEstimate.For(invoke with { Parameters = new GenerationParameters { MaxTokens = 50 } }, endpoint));
    }

    [Fact]
    public void Should_say_a_request_never_fits_only_when_it_is_over_every_endpoints_quota()
    {
        var invoke = new InvokeModel
        {
            RequestId = "r",
            Attempt = 1,
            Model = "m",
            Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText(new string('x', 4_000))] }],
            Parameters = new GenerationParameters { MaxTokens = 500 },
        };
        var small = Endpoint(1_000, "small");
        var large = Endpoint(2_000, "large");

        Assert.True(TokenEstimate.Fits(large, invoke));
        Assert.False(TokenEstimate.Fits(small, invoke));
        Assert.Null(TokenEstimate.NeverFits([small, large], invoke));
        Assert.Null(TokenEstimate.NeverFits([small, new EndpointOptions { Name = "unlimited", BaseUrl = "http://127.0.0.1:2/" }], invoke));
        var reason = TokenEstimate.NeverFits([small], invoke);
        Assert.Equal("the request can never fit the token quota of model 'm': small allows 1000 tokens per minute, the request needs an estimated " +
                     "1507 (1007 prompt + 500 max_tokens)", reason);
    }
}
