using Orchestrator.Contracts;
using Orchestrator.Retries;

namespace Orchestrator.Tests.Retries;

public sealed class RetryPlannerSpecs
{
    static readonly DateTime Now = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    static readonly double[] Draws = [0.0, 0.25, 0.5, 0.75, 0.999_999];

    static AttemptFailure Failure(FailureKind kind, string? cause, TimeSpan? retryAfter = null) =>
        new(kind, cause, $"{cause ?? "something"} went wrong", retryAfter);

    static RetryDecision Decide(
        int attempts,
        int sameCause,
        AttemptFailure failure,
        double random01 = 0.5,
        RetryPolicyOptions? policy = null,
        RetryPolicyRequest? request = null,
        DateTime? deadline = null) =>
        RetryPlanner.Decide(policy ?? new RetryPolicyOptions(), request, new RetryHistory(attempts, sameCause, null), failure, Now, deadline, random01);

    static RetryAfterDelay AssertRetry(RetryDecision decision) =>
        Assert.IsType<RetryAfterDelay>(decision);

    static GiveUp AssertGiveUp(RetryDecision decision) =>
        Assert.IsType<GiveUp>(decision);

    [Fact]
    public void Should_retry_a_503_twice_from_its_own_2_second_initial_interval_then_give_up_as_transient()
    {
        foreach (var r in Draws)
        {
            var first = AssertRetry(Decide(1, 1, Failure(FailureKind.Transient, "http-503"), r));
            Assert.InRange(first.Delay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
            Assert.Equal(Now + first.Delay, first.DueAtUtc);

            var second = AssertRetry(Decide(2, 2, Failure(FailureKind.Transient, "http-503"), r));
            Assert.InRange(second.Delay, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
        }

        var third = AssertGiveUp(Decide(3, 3, Failure(FailureKind.Transient, "http-503")));
        Assert.Equal(FailureKind.Transient, third.Kind);
        Assert.Contains("http-503 went wrong", third.Reason, StringComparison.Ordinal);
        Assert.Contains("2 retries", third.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_match_the_cause_case_insensitively() =>
        AssertGiveUp(Decide(3, 3, Failure(FailureKind.Transient, "HTTP-503")));

    [Theory]
    [InlineData("http-401")]
    [InlineData("http-403")]
    public void Should_retry_an_auth_failure_once_at_once_then_give_up_as_permanent(string cause)
    {
        var first = AssertRetry(Decide(1, 1, Failure(FailureKind.Transient, cause)));
        Assert.Equal(TimeSpan.Zero, first.Delay);
        Assert.Equal(Now, first.DueAtUtc);

        var second = AssertGiveUp(Decide(2, 2, Failure(FailureKind.Transient, cause)));
        Assert.Equal(FailureKind.Permanent, second.Kind);
        Assert.Contains($"{cause} went wrong", second.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FailureKind.Permanent)]
    [InlineData(FailureKind.InvalidInput)]
    [InlineData(FailureKind.Rejected)]
    [InlineData(FailureKind.DeadlineExceeded)]
    public void Should_never_retry_a_non_retryable_kind(FailureKind kind)
    {
        foreach (var cause in new[] { null, "timeout", "http-503", "http-401" })
        {
            var giveUp = AssertGiveUp(Decide(1, 1, Failure(kind, cause)));
            Assert.Equal(kind, giveUp.Kind);
            Assert.Equal(Failure(kind, cause).Reason, giveUp.Reason);
        }
    }

    [Fact]
    public void Should_retry_an_open_circuit_like_a_transient_failure() =>
        AssertRetry(Decide(1, 1, Failure(FailureKind.CircuitOpen, null)));

    [Fact]
    public void Should_give_up_on_the_fifth_failure_with_the_default_five_attempts()
    {
        for (var attempt = 1; attempt <= 4; attempt++)
            AssertRetry(Decide(attempt, attempt, Failure(FailureKind.Transient, "connect")));

        var giveUp = AssertGiveUp(Decide(5, 5, Failure(FailureKind.Transient, "connect")));
        Assert.Equal(FailureKind.Transient, giveUp.Kind);
        Assert.Equal("gave up after 5 attempts: connect went wrong", giveUp.Reason);
    }

    [Fact]
    public void Should_grow_the_default_backoff_exponentially_up_to_the_maximum()
    {
        var policy = new RetryPolicyOptions { Jitter = JitterKind.None };
        int[] expectedSeconds = [1, 2, 4, 8, 16, 32, 60, 60];
        for (var n = 1; n <= expectedSeconds.Length; n++)
            Assert.Equal(TimeSpan.FromSeconds(expectedSeconds[n - 1]), RetryPlanner.Delay(policy, null, null, n, null, null, 0.5));
    }

    [Fact]
    public void Should_survive_a_retry_number_whose_power_overflows()
    {
        var policy = new RetryPolicyOptions { Jitter = JitterKind.None, BackoffCoefficient = 10 };
        Assert.Equal(policy.MaximumInterval, RetryPlanner.Delay(policy, null, null, int.MaxValue, null, null, 0.5));
        var zeroInitial = new RetryPolicyOptions { Jitter = JitterKind.None, BackoffCoefficient = 10, InitialInterval = TimeSpan.Zero };
        Assert.Equal(TimeSpan.Zero, RetryPlanner.Delay(zeroInitial, null, null, int.MaxValue, null, null, 0.5));
    }

    [Fact]
    public void Should_wait_at_least_the_Retry_After_of_a_429()
    {
        foreach (var r in Draws)
        {
            var retry = AssertRetry(Decide(1, 1, Failure(FailureKind.Transient, "http-429", TimeSpan.FromSeconds(2)), r));
            Assert.True(retry.Delay >= TimeSpan.FromSeconds(2), $"draw {r}: {retry.Delay}");
        }
    }

    [Fact]
    public void Should_give_up_with_deadline_exceeded_when_the_next_backoff_ends_after_the_deadline()
    {
        // Draw 0 gives the shortest proportional delay: half of the 1 s initial interval.
        var deadline = Now.AddMilliseconds(400);
        var giveUp = AssertGiveUp(Decide(1, 1, Failure(FailureKind.Transient, "connect"), 0, deadline: deadline));
        Assert.Equal(FailureKind.DeadlineExceeded, giveUp.Kind);
        Assert.Contains("connect went wrong", giveUp.Reason, StringComparison.Ordinal);
        Assert.Contains(deadline.ToString("O"), giveUp.Reason, StringComparison.Ordinal);

        var inTime = AssertRetry(Decide(1, 1, Failure(FailureKind.Transient, "connect"), 0, deadline: Now.AddMilliseconds(500)));
        Assert.Equal(Now.AddMilliseconds(500), inTime.DueAtUtc);
    }

    [Fact]
    public void Should_give_up_when_a_Retry_After_would_run_past_the_deadline() =>
        Assert.Equal(
            FailureKind.DeadlineExceeded,
            AssertGiveUp(Decide(1, 1, Failure(FailureKind.Transient, "http-429", TimeSpan.FromMinutes(5)), deadline: Now.AddMinutes(1))).Kind);

    [Fact]
    public void Should_not_overflow_the_clock_on_an_enormous_Retry_After()
    {
        var retry = AssertRetry(Decide(1, 1, Failure(FailureKind.Transient, "http-429", TimeSpan.MaxValue)));
        Assert.Equal(TimeSpan.MaxValue, retry.Delay);
        Assert.Equal(DateTime.MaxValue, retry.DueAtUtc);
        Assert.Equal(DateTimeKind.Utc, retry.DueAtUtc.Kind);
    }

    [Fact]
    public void Should_cap_a_request_asking_for_1000_attempts_at_20()
    {
        var request = new RetryPolicyRequest(1000, null, null, null);
        Assert.Equal(20, RetryPlanner.MaximumAttempts(new RetryPolicyOptions(), request));
        AssertRetry(Decide(19, 19, Failure(FailureKind.Transient, "connect"), request: request));
        Assert.Equal("gave up after 20 attempts: connect went wrong", AssertGiveUp(Decide(20, 20, Failure(FailureKind.Transient, "connect"), request: request)).Reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Should_cap_a_request_asking_for_unlimited_attempts(int asked) =>
        Assert.Equal(20, RetryPlanner.MaximumAttempts(new RetryPolicyOptions(), new RetryPolicyRequest(asked, null, null, null)));

    [Fact]
    public void Should_let_a_request_ask_for_fewer_attempts() =>
        AssertGiveUp(Decide(2, 2, Failure(FailureKind.Transient, "connect"), request: new RetryPolicyRequest(2, null, null, null)));

    [Fact]
    public void Should_prefer_the_request_intervals_over_the_cause_and_cap_them()
    {
        var policy = new RetryPolicyOptions { Jitter = JitterKind.None };
        var http503 = policy.PerCause["http-503"];
        Assert.Equal(TimeSpan.FromMilliseconds(300), RetryPlanner.Delay(policy, http503, new RetryPolicyRequest(null, 300, null, null), 1, null, null, 0));
        // 10 hours asked for, 1 hour allowed.
        var greedy = new RetryPolicyRequest(null, 36_000_000, 1, 36_000_000);
        Assert.Equal(TimeSpan.FromHours(1), RetryPlanner.Delay(policy, http503, greedy, 1, null, null, 0));
    }

    [Fact]
    public void Should_draw_decorrelated_jitter_from_the_initial_interval_to_three_times_the_previous_delay()
    {
        var policy = new RetryPolicyOptions { Jitter = JitterKind.Decorrelated };
        Assert.Equal(TimeSpan.FromSeconds(1), RetryPlanner.Delay(policy, null, null, 1, null, null, 0));
        Assert.Equal(TimeSpan.FromSeconds(2), RetryPlanner.Delay(policy, null, null, 1, null, null, 0.5));
        // 1 s + 0.5 × (3 × 10 s − 1 s)
        Assert.Equal(TimeSpan.FromSeconds(15.5), RetryPlanner.Delay(policy, null, null, 3, TimeSpan.FromSeconds(10), null, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(60), RetryPlanner.Delay(policy, null, null, 9, TimeSpan.FromSeconds(50), null, 0.9));
    }

    [Fact]
    public void Should_draw_full_jitter_from_zero_to_the_backoff()
    {
        var policy = new RetryPolicyOptions { Jitter = JitterKind.Full };
        Assert.Equal(TimeSpan.Zero, RetryPlanner.Delay(policy, null, null, 2, null, null, 0));
        Assert.Equal(TimeSpan.FromSeconds(1), RetryPlanner.Delay(policy, null, null, 2, null, null, 0.5));
    }

    [Fact]
    public void Should_give_the_same_decision_for_the_same_inputs()
    {
        var failure = Failure(FailureKind.Transient, "timeout");
        Assert.Equal(Decide(2, 1, failure, 0.37), Decide(2, 1, failure, 0.37));
    }
}
