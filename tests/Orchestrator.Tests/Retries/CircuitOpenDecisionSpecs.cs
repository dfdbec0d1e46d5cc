using Orchestrator.Contracts;
using Orchestrator.Retries;

namespace Orchestrator.Tests.Retries;

/// <summary>The retry planner's rule for a circuit-open fast-fail: wait for the half-open time, spend no attempt.</summary>
public sealed class CircuitOpenDecisionSpecs
{
    static readonly DateTime Now = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    static readonly AttemptFailure Open = new(FailureKind.CircuitOpen, "circuit-open", "every endpoint of model 'sim' is open", null);

    [Fact]
    public void Should_retry_exactly_when_the_breaker_half_opens()
    {
        var retry = Assert.IsType<RetryAfterDelay>(RetryPlanner.DecideCircuitOpen(new RetryPolicyOptions(), Open, Now.AddSeconds(4), Now, null));
        Assert.Equal((TimeSpan.FromSeconds(4), Now.AddSeconds(4)), (retry.Delay, retry.DueAtUtc));
    }

    [Fact]
    public void Should_retry_at_once_when_the_half_open_time_has_passed()
    {
        var retry = Assert.IsType<RetryAfterDelay>(RetryPlanner.DecideCircuitOpen(new RetryPolicyOptions(), Open, Now.AddSeconds(-1), Now, null));
        Assert.Equal((TimeSpan.Zero, Now), (retry.Delay, retry.DueAtUtc));
    }

    [Fact]
    public void Should_fall_back_to_the_initial_interval_without_a_half_open_time()
    {
        var retry = Assert.IsType<RetryAfterDelay>(RetryPlanner.DecideCircuitOpen(new RetryPolicyOptions(), Open, null, Now, null));
        Assert.Equal(new RetryPolicyOptions().InitialInterval, retry.Delay);
    }

    [Fact]
    public void Should_end_with_DeadlineExceeded_when_the_half_open_time_is_past_the_deadline()
    {
        var giveUp = Assert.IsType<GiveUp>(RetryPlanner.DecideCircuitOpen(new RetryPolicyOptions(), Open, Now.AddSeconds(5), Now, Now.AddSeconds(2)));
        Assert.Equal(FailureKind.DeadlineExceeded, giveUp.Kind);
        Assert.Contains("after the deadline", giveUp.Reason, StringComparison.Ordinal);
        Assert.Contains(Open.Reason, giveUp.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_give_up_when_circuit_open_is_configured_as_non_retryable()
    {
        var policy = new RetryPolicyOptions { NonRetryableKinds = [FailureKind.Permanent, FailureKind.CircuitOpen] };
        var giveUp = Assert.IsType<GiveUp>(RetryPlanner.DecideCircuitOpen(policy, Open, Now.AddSeconds(1), Now, null));
        Assert.Equal(FailureKind.CircuitOpen, giveUp.Kind);
    }
}
