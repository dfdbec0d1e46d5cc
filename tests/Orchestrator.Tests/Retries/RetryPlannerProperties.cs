using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Orchestrator.Retries;

namespace Orchestrator.Tests.Retries;

public sealed class RetryPlannerProperties
{
    const int Cases = 2_000;

    static Property ForAllDelays(Func<DelayCase, bool> property) => Prop.ForAll(RetryCases.DelayCases, property);

    static Property ForAllDecisions(Func<DecideCase, bool> property) => Prop.ForAll(RetryCases.DecideCases, property);

    // The backoff without jitter or Retry-After, as the spec defines it: min(initial × coefficient^(n−1), maximum).
    static TimeSpan Base(DelayCase c) => c.Delay(JitterKind.None, withRetryAfter: false);

    [Property(MaxTest = Cases)]
    public Property Should_never_produce_a_negative_delay() => ForAllDelays(c => c.Delay() >= TimeSpan.Zero);

    [Property(MaxTest = Cases)]
    public Property Should_never_exceed_the_maximum_interval_unless_Retry_After_asks_for_longer() =>
        ForAllDelays(c =>
        {
            var limit = c.EffectiveMaximum();
            if (c.RetryAfter is { } after && after > limit)
                limit = after;
            return c.Delay() <= limit;
        });

    [Property(MaxTest = Cases)]
    public Property Should_never_retry_sooner_than_Retry_After() =>
        ForAllDelays(c => c.RetryAfter is not { } after || c.Delay() >= after);

    [Property(MaxTest = Cases)]
    public Property Should_keep_proportional_jitter_between_half_the_backoff_and_the_backoff() =>
        ForAllDelays(c =>
        {
            var backoff = Base(c);
            var delay = c.Delay(JitterKind.Proportional, withRetryAfter: false);
            return delay.Ticks >= backoff.Ticks / 2.0 && delay <= backoff;
        });

    [Property(MaxTest = Cases)]
    public Property Should_keep_full_jitter_between_zero_and_the_backoff() =>
        ForAllDelays(c =>
        {
            var delay = c.Delay(JitterKind.Full, withRetryAfter: false);
            return delay >= TimeSpan.Zero && delay <= Base(c);
        });

    [Property(MaxTest = Cases)]
    public Property Should_use_exactly_the_exponential_backoff_without_jitter() =>
        ForAllDelays(c =>
        {
            // Worked out here from the effective settings rather than trusting the planner's own arithmetic.
            var cap = c.Policy().MaximumIntervalCap;
            var request = c.Request;
            var initial = request?.InitialIntervalMs is { } i
                ? Min(TimeSpan.FromMilliseconds(Math.Max(0, i)), cap)
                : TimeSpan.FromMilliseconds(c.Cause?.InitialMs ?? c.InitialMs);
            var coefficient = request?.BackoffCoefficient is { } k ? Math.Max(1, k) : c.Cause?.Coefficient ?? c.Coefficient;
            var maximum = c.EffectiveMaximum();
            var ticks = initial.Ticks * Math.Pow(coefficient, c.RetryNumber - 1);
            var expected = ticks >= maximum.Ticks ? maximum : TimeSpan.FromTicks((long)ticks);
            return Base(c) == expected;
        });

    [Property(MaxTest = Cases)]
    public Property Should_never_shorten_the_backoff_from_one_retry_to_the_next_without_jitter() =>
        ForAllDelays(c => c.Delay(JitterKind.None, c.RetryNumber, false) <= c.Delay(JitterKind.None, c.RetryNumber + 1, false));

    [Property(MaxTest = Cases)]
    public Property Should_keep_decorrelated_jitter_between_the_initial_interval_and_the_maximum() =>
        ForAllDelays(c =>
        {
            var delay = c.Delay(JitterKind.Decorrelated, withRetryAfter: false);
            var maximum = c.EffectiveMaximum();
            var initial = c.Delay(JitterKind.None, 1, false); // min(initial, maximum)
            return delay >= initial && delay <= maximum;
        });

    [Property(MaxTest = Cases)]
    public Property Should_never_schedule_an_attempt_after_the_deadline() =>
        ForAllDecisions(c => c.Decide() is not RetryAfterDelay retry || c.DeadlineUtc is not { } deadline || retry.DueAtUtc <= deadline);

    [Property(MaxTest = Cases)]
    public Property Should_schedule_the_next_attempt_at_now_plus_a_non_negative_delay() =>
        ForAllDecisions(c => c.Decide() is not RetryAfterDelay retry || (retry.Delay >= TimeSpan.Zero && retry.DueAtUtc == c.NowUtc + retry.Delay));

    [Property(MaxTest = Cases)]
    public Property Should_never_retry_a_non_retryable_kind() =>
        ForAllDecisions(c =>
            !new RetryPolicyOptions().NonRetryableKinds.Contains(c.Kind)
            || c.Decide() is GiveUp giveUp && giveUp.Kind == c.Kind);

    [Property(MaxTest = Cases)]
    public Property Should_never_allow_more_attempts_than_the_effective_limit() =>
        ForAllDecisions(c =>
        {
            var limit = RetryPlanner.MaximumAttempts(c.Shape.Policy(), c.Shape.Request);
            return limit == 0 || c.AttemptsMade < limit || c.Decide() is GiveUp;
        });

    [Property(MaxTest = Cases)]
    public Property Should_cap_what_a_request_may_ask_for() =>
        ForAllDecisions(c =>
        {
            var policy = c.Shape.Policy();
            var limit = RetryPlanner.MaximumAttempts(policy, c.Shape.Request);
            return c.Shape.Request?.MaximumAttempts is null || (limit >= 1 && limit <= policy.MaximumAttemptsCap);
        });

    static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
