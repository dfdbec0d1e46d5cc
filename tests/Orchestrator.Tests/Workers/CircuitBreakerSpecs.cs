using Orchestrator.Workers.Resilience;

namespace Orchestrator.Tests.Workers;

/// <summary>The breaker alone, on a clock the test moves: when it opens, what it refuses, and how it recovers.</summary>
public sealed class CircuitBreakerSpecs
{
    readonly ManualClock _clock = new();
    readonly List<BreakerTransition> _transitions = [];

    CircuitBreaker Breaker(CircuitBreakerOptions? options = null) =>
        new("primary", options ?? new CircuitBreakerOptions(), _clock, _transitions.Add);

    /// <summary>A call let through now whose outcome the test records later.</summary>
    static BreakerLease LetThrough(CircuitBreaker breaker) =>
        breaker.TryAcquire(out _) ?? throw new InvalidOperationException($"the breaker refused a call (state {breaker.State})");

    static void Call(CircuitBreaker breaker, bool fault)
    {
        using var lease = breaker.TryAcquire(out var retryAt);
        Assert.True(lease is not null, $"the breaker refused a call (state {breaker.State}, retry at {retryAt:O})");
        lease.Record(fault);
    }

    [Fact]
    public void Should_open_after_three_consecutive_failures_and_refuse_until_the_break_is_over()
    {
        var breaker = Breaker();
        Call(breaker, fault: true);
        Call(breaker, fault: true);
        Assert.Equal(BreakerState.Closed, breaker.State);
        Call(breaker, fault: true);

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Null(breaker.TryAcquire(out var retryAt));
        Assert.Equal(_clock.GetUtcNow().AddSeconds(5), retryAt);
        var opened = Assert.Single(_transitions);
        Assert.Equal((BreakerState.Closed, BreakerState.Open, "3 consecutive failures"), (opened.From, opened.To, opened.Why));

        _clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Null(breaker.TryAcquire(out var stillAt));
        Assert.Equal(retryAt, stillAt);
    }

    [Fact]
    public void Should_not_open_when_a_success_breaks_the_run()
    {
        var breaker = Breaker();
        foreach (var fault in new[] { true, true, false, true, true, false })
            Call(breaker, fault);
        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.Empty(_transitions);
    }

    [Fact]
    public void Should_let_one_probe_through_when_half_open_and_close_on_its_success()
    {
        var breaker = Breaker();
        for (var i = 0; i < 3; i++)
            Call(breaker, fault: true);
        _clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(BreakerState.HalfOpen, breaker.State);
        using var probe = breaker.TryAcquire(out _);
        Assert.NotNull(probe);
        Assert.True(probe.IsProbe);
        // While the probe is out, nobody else gets through, and they learn to come back one break later.
        Assert.Null(breaker.TryAcquire(out var secondAt));
        Assert.Equal(_clock.GetUtcNow().AddSeconds(5), secondAt);

        probe.Record(upstreamFault: false);
        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.Equal([BreakerState.Open, BreakerState.HalfOpen, BreakerState.Closed], _transitions.Select(t => t.To));
        Call(breaker, fault: false);
    }

    [Fact]
    public void Should_reopen_for_another_break_when_the_probe_fails()
    {
        var breaker = Breaker();
        for (var i = 0; i < 3; i++)
            Call(breaker, fault: true);
        _clock.Advance(TimeSpan.FromSeconds(6));
        Call(breaker, fault: true);

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal(_clock.GetUtcNow().AddSeconds(5), breaker.OpenUntil);
        Assert.Equal("the half-open probe failed", _transitions[^1].Why);
    }

    [Fact]
    public void Should_free_the_probe_when_the_call_ends_without_an_outcome()
    {
        var breaker = Breaker();
        for (var i = 0; i < 3; i++)
            Call(breaker, fault: true);
        _clock.Advance(TimeSpan.FromSeconds(5));
        breaker.TryAcquire(out _)!.Dispose();

        Assert.Equal(BreakerState.HalfOpen, breaker.State);
        using var next = breaker.TryAcquire(out _);
        Assert.True(next is { IsProbe: true }, "a cancelled probe must let the next caller probe");
    }

    [Fact]
    public void Should_open_on_the_failure_ratio_once_the_minimum_throughput_is_reached()
    {
        var breaker = Breaker(new CircuitBreakerOptions { ConsecutiveFailures = 0, FailureRatio = 0.5, MinimumThroughput = 6 });
        // Alternating: never two faults in a row, half of them faults.
        foreach (var fault in new[] { false, true, false, true, false })
            Call(breaker, fault);
        Assert.Equal(BreakerState.Closed, breaker.State);
        Call(breaker, fault: true);

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal("3 of 6 calls failed in the last 30 s", _transitions[^1].Why);
    }

    /// <summary>Under load a 20% fault rate makes a run of three every 125 calls: that is noise, not an outage.</summary>
    [Fact]
    public void Should_want_a_longer_run_from_an_endpoint_that_fails_now_and_then()
    {
        var breaker = Breaker();
        // 50 calls, one in five a fault, never two in a row: a 20% rate.
        for (var i = 0; i < 50; i++)
            Call(breaker, fault: i % 5 == 3);
        for (var i = 0; i < 8; i++)
            Call(breaker, fault: true);
        Assert.Equal(BreakerState.Closed, breaker.State);

        // Nine in a row happen by chance at that rate less than once in a million calls.
        Call(breaker, fault: true);
        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal("9 consecutive failures", _transitions[^1].Why);
    }

    [Fact]
    public void Should_still_open_after_three_in_a_row_when_a_healthy_endpoint_goes_down()
    {
        var breaker = Breaker();
        for (var i = 0; i < 200; i++)
            Call(breaker, fault: false);
        for (var i = 0; i < 3; i++)
            Call(breaker, fault: true);

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal("3 consecutive failures", _transitions[^1].Why);
    }

    [Fact]
    public void Should_forget_calls_older_than_the_sampling_window()
    {
        var breaker = Breaker(new CircuitBreakerOptions { ConsecutiveFailures = 0, FailureRatio = 0.5, MinimumThroughput = 4, SamplingDuration = TimeSpan.FromSeconds(10) });
        Call(breaker, fault: true);
        Call(breaker, fault: true);
        Call(breaker, fault: true);
        _clock.Advance(TimeSpan.FromSeconds(11));
        // The three faults have left the window: one fault in four recent calls is below the ratio.
        foreach (var fault in new[] { false, false, false, true })
            Call(breaker, fault);
        Assert.Equal(BreakerState.Closed, breaker.State);
    }

    [Fact]
    public void Should_ignore_the_outcome_of_a_call_let_through_before_it_opened()
    {
        var breaker = Breaker();
        var failing = Enumerable.Range(0, 3).Select(_ => LetThrough(breaker)).ToList();
        var early = LetThrough(breaker);
        foreach (var call in failing)
            call.Record(upstreamFault: true);
        Assert.Equal(BreakerState.Open, breaker.State);
        _clock.Advance(TimeSpan.FromSeconds(5));
        using var probe = breaker.TryAcquire(out _);

        // A slow call from before the break fails now: it must not decide the probe's fate.
        early.Record(upstreamFault: true);
        Assert.Equal(BreakerState.HalfOpen, breaker.State);
    }

    /// <summary>
    /// An endpoint that fails 1 call in 20 opens on a run of 5 (3 in a row come by chance every few hundred calls). The
    /// probe's success after the break must not make it forget that rate, or the next 3 in a row would open it again.
    /// </summary>
    [Fact]
    public void Should_keep_the_fault_rate_it_saw_before_it_opened_once_a_probe_closes_it()
    {
        var breaker = Breaker();
        for (var i = 0; i < 100; i++)
            Call(breaker, fault: i % 20 == 7);
        for (var i = 0; i < 5; i++)
            Call(breaker, fault: true);
        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal("5 consecutive failures", _transitions[^1].Why);

        _clock.Advance(TimeSpan.FromSeconds(5));
        Call(breaker, fault: false);
        Assert.Equal(BreakerState.Closed, breaker.State);

        // The same endpoint after the close, 10 faults in the 106 calls before the run: 5 in a row is still noise at
        // that rate, 6 is news.
        for (var i = 0; i < 5; i++)
            Call(breaker, fault: true);
        Assert.Equal(BreakerState.Closed, breaker.State);
        Call(breaker, fault: true);
        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal("6 consecutive failures", _transitions[^1].Why);
    }

    /// <summary>
    /// The calls in flight when it opened answer while it is open: those answers are the history that shows the
    /// endpoint healthy once a probe closed it.
    /// </summary>
    [Fact]
    public void Should_count_the_answers_of_calls_let_through_before_it_opened_as_history()
    {
        var breaker = Breaker();
        var failing = Enumerable.Range(0, 3).Select(_ => LetThrough(breaker)).ToList();
        var inFlight = Enumerable.Range(0, 20).Select(_ => LetThrough(breaker)).ToList();
        foreach (var call in failing)
            call.Record(upstreamFault: true);
        Assert.Equal(BreakerState.Open, breaker.State);
        foreach (var call in inFlight)
            call.Record(upstreamFault: false);
        Assert.Equal(BreakerState.Open, breaker.State);

        _clock.Advance(TimeSpan.FromSeconds(5));
        Call(breaker, fault: false);
        Assert.Equal(BreakerState.Closed, breaker.State);

        // 3 faults in 24 calls: at that rate 7 in a row is news, 3 is not.
        for (var i = 0; i < 6; i++)
            Call(breaker, fault: true);
        Assert.Equal(BreakerState.Closed, breaker.State);
        Call(breaker, fault: true);
        Assert.Equal(BreakerState.Open, breaker.State);
    }

    [Fact]
    public void Should_count_the_ratio_rule_afresh_once_a_probe_closes_it()
    {
        var breaker = Breaker(new CircuitBreakerOptions { ConsecutiveFailures = 0, FailureRatio = 0.5, MinimumThroughput = 6 });
        foreach (var fault in new[] { false, true, false, true, false, true })
            Call(breaker, fault);
        Assert.Equal(BreakerState.Open, breaker.State);
        _clock.Advance(TimeSpan.FromSeconds(5));
        Call(breaker, fault: false);
        Assert.Equal(BreakerState.Closed, breaker.State);

        // The outage's faults are still in the window, but they were seen before the probe: the ratio rule counts
        // only the calls since the close, and needs MinimumThroughput of them.
        foreach (var fault in new[] { true, false, true, false, true })
            Call(breaker, fault);
        Assert.Equal(BreakerState.Closed, breaker.State);
        Call(breaker, fault: true);
        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal("4 of 6 calls failed in the last 30 s", _transitions[^1].Why);
    }

    [Fact]
    public void Should_open_after_three_in_a_row_again_once_the_outage_s_faults_dominate_the_window()
    {
        var breaker = Breaker();
        for (var i = 0; i < 20; i++)
            Call(breaker, fault: false);
        // An outage: the calls in flight fail too, and two probes fail before one succeeds.
        var failing = Enumerable.Range(0, 3).Select(_ => LetThrough(breaker)).ToList();
        var inFlight = Enumerable.Range(0, 20).Select(_ => LetThrough(breaker)).ToList();
        foreach (var call in failing)
            call.Record(upstreamFault: true);
        Assert.Equal(BreakerState.Open, breaker.State);
        foreach (var call in inFlight)
            call.Record(upstreamFault: true);
        for (var probe = 0; probe < 2; probe++)
        {
            _clock.Advance(TimeSpan.FromSeconds(5));
            Call(breaker, fault: true);
        }
        _clock.Advance(TimeSpan.FromSeconds(5));
        Call(breaker, fault: false);
        Assert.Equal(BreakerState.Closed, breaker.State);

        // More than half of the window failed: that is a failing endpoint, not noise, and 3 in a row open it.
        for (var i = 0; i < 3; i++)
            Call(breaker, fault: true);
        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal("3 consecutive failures", _transitions[^1].Why);
    }

    /// <summary>
    /// Of a burst of calls made together, the faults come back first and the answers seconds later: the run is counted
    /// in the order the calls were made, so three quick faults among them are no run while the calls made before them
    /// are out.
    /// </summary>
    [Fact]
    public void Should_not_count_a_burst_s_quick_faults_as_a_run_while_the_calls_made_between_them_are_out()
    {
        var breaker = Breaker();
        var burst = Enumerable.Range(0, 30).Select(_ => LetThrough(breaker)).ToList();
        int[] quick = [4, 11, 23];
        foreach (var i in quick)
            burst[i].Record(upstreamFault: true);
        Assert.Equal(BreakerState.Closed, breaker.State);

        for (var i = 0; i < burst.Count; i++)
        {
            if (!quick.Contains(i))
                burst[i].Record(upstreamFault: false);
        }
        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.Empty(_transitions);
    }

    /// <summary>The ratio rule too: the quick faults of a burst are no share of its calls while the answers are on their way.</summary>
    [Fact]
    public void Should_count_the_ratio_of_a_burst_only_as_far_as_every_call_made_before_has_ended()
    {
        var breaker = Breaker(new CircuitBreakerOptions { ConsecutiveFailures = 0, FailureRatio = 0.5, MinimumThroughput = 6 });
        var burst = Enumerable.Range(0, 20).Select(_ => LetThrough(breaker)).ToList();
        int[] quick = [1, 3, 5, 7, 9, 11, 13, 15];
        foreach (var i in quick)
            burst[i].Record(upstreamFault: true);
        Assert.Equal(BreakerState.Closed, breaker.State);

        for (var i = 0; i < burst.Count; i++)
        {
            if (!quick.Contains(i))
                burst[i].Record(upstreamFault: false);
        }
        // 8 of 20 failed: below the ratio, in whatever order they came back.
        Assert.Equal(BreakerState.Closed, breaker.State);
        foreach (var fault in new[] { true, true, true, true })
            Call(breaker, fault);
        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal("12 of 24 calls failed in the last 30 s", _transitions[^1].Why);
    }

    /// <summary>An endpoint that goes down fails the calls made after it went: they open it, whatever was made before.</summary>
    [Fact]
    public void Should_open_on_calls_made_one_after_another_that_failed_while_an_earlier_call_hangs()
    {
        var breaker = Breaker();
        using var hung = LetThrough(breaker);
        Call(breaker, fault: true);
        Call(breaker, fault: true);
        Assert.Equal(BreakerState.Closed, breaker.State);
        Call(breaker, fault: true);

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.Equal("3 consecutive failures", _transitions[^1].Why);
    }

    [Fact]
    public void Should_count_faults_that_came_back_out_of_order_as_one_run_of_the_calls_made_together()
    {
        var breaker = Breaker();
        var burst = Enumerable.Range(0, 6).Select(_ => LetThrough(breaker)).ToList();
        burst[4].Record(upstreamFault: true);
        burst[2].Record(upstreamFault: true);
        Assert.Equal(BreakerState.Closed, breaker.State);

        // The call made between them fails too: three made one after another.
        burst[3].Record(upstreamFault: true);
        Assert.Equal(BreakerState.Open, breaker.State);
    }

    [Fact]
    public void Should_take_a_run_for_old_news_once_a_call_made_after_it_was_answered()
    {
        var breaker = Breaker();
        var slow = Enumerable.Range(0, 3).Select(_ => LetThrough(breaker)).ToList();
        // A call made after the three is answered first: the endpoint answers.
        Call(breaker, fault: false);
        foreach (var call in slow)
            call.Record(upstreamFault: true);

        Assert.Equal(BreakerState.Closed, breaker.State);
    }

    [Fact]
    public void Should_let_everything_through_when_disabled()
    {
        var breaker = Breaker(new CircuitBreakerOptions { Enabled = false });
        for (var i = 0; i < 10; i++)
            Call(breaker, fault: true);
        Assert.Equal(BreakerState.Closed, breaker.State);
    }

    [Theory]
    [InlineData(-1, 0.5, 10, 30, 5, "Workers:CircuitBreaker:ConsecutiveFailures must not be negative")]
    [InlineData(3, 1.5, 10, 30, 5, "Workers:CircuitBreaker:FailureRatio must be between 0 and 1")]
    [InlineData(3, 0.5, 0, 30, 5, "Workers:CircuitBreaker:MinimumThroughput must be at least 1")]
    [InlineData(3, 0.5, 10, 0, 5, "Workers:CircuitBreaker:SamplingDuration must be positive")]
    [InlineData(3, 0.5, 10, 30, 0, "Workers:CircuitBreaker:BreakDuration must be positive")]
    [InlineData(0, 0, 10, 30, 5, "could never open")]
    public void Should_name_the_bad_setting(int consecutive, double ratio, int throughput, int samplingSeconds, int breakSeconds, string expected)
    {
        var options = new CircuitBreakerOptions
        {
            ConsecutiveFailures = consecutive,
            FailureRatio = ratio,
            MinimumThroughput = throughput,
            SamplingDuration = TimeSpan.FromSeconds(samplingSeconds),
            BreakDuration = TimeSpan.FromSeconds(breakSeconds),
        };
        Assert.Contains(expected, options.Problem("Workers:CircuitBreaker"), StringComparison.Ordinal);
    }
}
