using Orchestrator.Contracts;

namespace Orchestrator.Retries;

/// <summary>
/// Decides whether and when a failed attempt is retried. Pure: no clock, no randomness, no I/O; the caller passes
/// "now" and a uniform random draw, so every decision can be replayed and tested exactly.
/// </summary>
public static class RetryPlanner
{
    /// <summary>
    /// The delay before retry number <paramref name="retryNumber"/> (1 for the first retry). Each of the initial interval,
    /// coefficient and maximum interval comes from <paramref name="request"/> (capped) if it sets it, else from
    /// <paramref name="causeOverride"/>, else from <paramref name="policy"/>. The result is never negative, never above the
    /// effective maximum interval unless <paramref name="retryAfter"/> asks for longer, and never below
    /// <paramref name="retryAfter"/>.
    /// </summary>
    /// <param name="policy">The configured policy; its <see cref="RetryPolicyOptions.Jitter"/> picks the jitter.</param>
    /// <param name="causeOverride">The override for the failure's cause, if any.</param>
    /// <param name="request">The request's own adjustments, if any; capped by the policy.</param>
    /// <param name="retryNumber">Which retry of this request this is, from 1.</param>
    /// <param name="previousDelay">The delay before the attempt that just failed, for decorrelated jitter.</param>
    /// <param name="retryAfter">The server's Retry-After, if any: the delay is never shorter.</param>
    /// <param name="random01">A uniform draw from [0, 1); values outside are clamped and NaN counts as 0.</param>
    public static TimeSpan Delay(
        RetryPolicyOptions policy,
        RetryOverride? causeOverride,
        RetryPolicyRequest? request,
        int retryNumber,
        TimeSpan? previousDelay,
        TimeSpan? retryAfter,
        double random01)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retryNumber, 1);
        var (initial, coefficient, maximum) = Intervals(policy, causeOverride, request);
        var r = double.IsNaN(random01) ? 0 : Math.Clamp(random01, 0, 1);

        var delay = policy.Jitter switch
        {
            JitterKind.None => Backoff(initial, coefficient, maximum, retryNumber),
            JitterKind.Proportional => Scale(Backoff(initial, coefficient, maximum, retryNumber), 0.5 + (0.5 * r)),
            JitterKind.Full => Scale(Backoff(initial, coefficient, maximum, retryNumber), r),
            JitterKind.Decorrelated => Decorrelated(initial, maximum, previousDelay, r),
            _ => throw new ArgumentOutOfRangeException(nameof(policy), policy.Jitter, "unknown jitter kind"),
        };

        // The server knows its own recovery time better than our backoff does.
        if (retryAfter is { } after && after > delay)
            delay = after;
        return delay;
    }

    /// <summary>
    /// What to do after a failed attempt. In order: a non-retryable kind gives up; a cause whose per-cause retries are
    /// used up gives up (with the override's exhausted kind); a request whose attempts are used up gives up; a next
    /// attempt that would fall after <paramref name="deadlineUtc"/> gives up with <see cref="FailureKind.DeadlineExceeded"/>;
    /// otherwise retry after <see cref="Delay"/>. A <see cref="FailureKind.CircuitOpen"/> fast-fail is no attempt and
    /// goes through <see cref="DecideCircuitOpen"/> instead.
    /// </summary>
    /// <param name="policy">The configured policy.</param>
    /// <param name="request">The request's own adjustments, if any; capped by the policy.</param>
    /// <param name="history">The attempts made so far, the failed one included.</param>
    /// <param name="failure">The attempt that just failed.</param>
    /// <param name="nowUtc">The current time; the next attempt's due time is counted from it.</param>
    /// <param name="deadlineUtc">The request's overall deadline, if any.</param>
    /// <param name="random01">A uniform draw from [0, 1), used for jitter.</param>
    public static RetryDecision Decide(
        RetryPolicyOptions policy,
        RetryPolicyRequest? request,
        RetryHistory history,
        AttemptFailure failure,
        DateTime nowUtc,
        DateTime? deadlineUtc,
        double random01)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(history.AttemptsMade, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(history.FailuresWithSameCause, 1);

        if (policy.NonRetryableKinds.Contains(failure.Kind))
            return new GiveUp(failure.Kind, failure.Reason);

        var causeOverride = FindOverride(policy, failure.Cause);
        if (causeOverride?.MaximumRetries is { } maximumRetries && history.FailuresWithSameCause > maximumRetries)
        {
            return new GiveUp(
                causeOverride.ExhaustedKind ?? failure.Kind,
                $"gave up after {maximumRetries} {(maximumRetries == 1 ? "retry" : "retries")} of {failure.Cause}: {failure.Reason}");
        }

        var maximumAttempts = MaximumAttempts(policy, request);
        if (maximumAttempts > 0 && history.AttemptsMade >= maximumAttempts)
            return new GiveUp(failure.Kind, $"gave up after {history.AttemptsMade} attempts: {failure.Reason}");

        var delay = Delay(policy, causeOverride, request, history.AttemptsMade, history.PreviousDelay, failure.RetryAfter, random01);
        var dueAt = AddSaturating(nowUtc, delay);
        if (deadlineUtc is { } deadline && dueAt > deadline)
        {
            return new GiveUp(
                FailureKind.DeadlineExceeded,
                $"the next attempt at {dueAt:O} would be after the deadline {deadline:O}; last failure: {failure.Reason}");
        }
        return new RetryAfterDelay(delay, dueAt);
    }

    /// <summary>
    /// What to do when a worker made no call because every breaker of the model's endpoints was open. No attempt was
    /// used, so neither the attempt budget nor any per-cause budget applies: the same attempt goes again at
    /// <paramref name="retryAtUtc"/> (the earliest half-open time the worker reported; without one, after the
    /// failure's Retry-After or the policy's initial interval). Gives up when <see cref="FailureKind.CircuitOpen"/> is
    /// configured as non-retryable, or with <see cref="FailureKind.DeadlineExceeded"/> when that time is after
    /// <paramref name="deadlineUtc"/>.
    /// </summary>
    public static RetryDecision DecideCircuitOpen(
        RetryPolicyOptions policy,
        AttemptFailure failure,
        DateTime? retryAtUtc,
        DateTime nowUtc,
        DateTime? deadlineUtc)
    {
        if (policy.NonRetryableKinds.Contains(FailureKind.CircuitOpen))
            return new GiveUp(FailureKind.CircuitOpen, failure.Reason);

        var dueAt = retryAtUtc ?? AddSaturating(nowUtc, failure.RetryAfter ?? policy.InitialInterval);
        if (dueAt < nowUtc)
            dueAt = nowUtc;
        if (deadlineUtc is { } deadline && dueAt > deadline)
        {
            return new GiveUp(
                FailureKind.DeadlineExceeded,
                $"the endpoints open up again at {dueAt:O}, after the deadline {deadline:O}; {failure.Reason}");
        }
        return new RetryAfterDelay(dueAt - nowUtc, dueAt);
    }

    /// <summary>The attempts a request gets in total: its own wish capped by the operator, else the policy's; 0 means unlimited.</summary>
    public static int MaximumAttempts(RetryPolicyOptions policy, RetryPolicyRequest? request)
    {
        if (request?.MaximumAttempts is not { } asked)
            return policy.MaximumAttempts;
        // 0 or less asks for unlimited, which is more than any cap.
        return asked <= 0 ? policy.MaximumAttemptsCap : Math.Min(asked, policy.MaximumAttemptsCap);
    }

    static RetryOverride? FindOverride(RetryPolicyOptions policy, string? cause)
    {
        if (cause is null)
            return null;
        if (policy.PerCause.TryGetValue(cause, out var found))
            return found;
        // The dictionary may have been replaced by one with an ordinal comparer; causes still match case-insensitively.
        foreach (var (key, value) in policy.PerCause)
        {
            if (string.Equals(key, cause, StringComparison.OrdinalIgnoreCase))
                return value;
        }
        return null;
    }

    static (TimeSpan Initial, double Coefficient, TimeSpan Maximum) Intervals(
        RetryPolicyOptions policy, RetryOverride? causeOverride, RetryPolicyRequest? request)
    {
        var initial = request?.InitialIntervalMs is { } initialMs
            ? Capped(initialMs, policy.MaximumIntervalCap)
            : causeOverride?.InitialInterval ?? policy.InitialInterval;
        var coefficient = request?.BackoffCoefficient ?? causeOverride?.BackoffCoefficient ?? policy.BackoffCoefficient;
        var maximum = request?.MaximumIntervalMs is { } maximumMs
            ? Capped(maximumMs, policy.MaximumIntervalCap)
            : causeOverride?.MaximumInterval ?? policy.MaximumInterval;

        // Unvalidated values (a request's, or options nobody checked) must not yield negative or NaN delays.
        if (initial < TimeSpan.Zero)
            initial = TimeSpan.Zero;
        if (maximum < TimeSpan.Zero)
            maximum = TimeSpan.Zero;
        if (!(coefficient >= 1))
            coefficient = 1;
        return (initial, coefficient, maximum);
    }

    static TimeSpan Capped(int milliseconds, TimeSpan cap)
    {
        var asked = TimeSpan.FromMilliseconds(Math.Max(0, milliseconds));
        return asked > cap ? cap : asked;
    }

    // min(initial × coefficient^(n−1), maximum), computed in double space: the power overflows to infinity for large n,
    // which the min absorbs before anything is converted back to ticks.
    static TimeSpan Backoff(TimeSpan initial, double coefficient, TimeSpan maximum, int retryNumber)
    {
        if (initial <= TimeSpan.Zero || maximum <= TimeSpan.Zero)
            return TimeSpan.Zero;
        var ticks = initial.Ticks * Math.Pow(coefficient, retryNumber - 1);
        return ticks >= maximum.Ticks ? maximum : Min(FromTicks(ticks), maximum);
    }

    // A fraction in [0, 1] of a delay, rounded up to a whole tick but never above the delay itself.
    static TimeSpan Scale(TimeSpan delay, double fraction) =>
        Min(FromTicks(Math.Ceiling(delay.Ticks * fraction)), delay);

    // AWS decorrelated jitter: uniform(initial, previous × 3), at most the maximum.
    static TimeSpan Decorrelated(TimeSpan initial, TimeSpan maximum, TimeSpan? previous, double r)
    {
        var low = (double)initial.Ticks;
        var high = Math.Max((previous ?? initial).Ticks, initial.Ticks) * 3.0;
        return Min(FromTicks(Math.Ceiling(low + (r * (high - low)))), maximum);
    }

    static TimeSpan FromTicks(double ticks)
    {
        if (double.IsNaN(ticks) || ticks <= 0)
            return TimeSpan.Zero;
        // (double)long.MaxValue rounds up past long.MaxValue, so compare before converting.
        return ticks >= long.MaxValue ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)ticks);
    }

    static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    // A Retry-After or interval near TimeSpan.MaxValue must not throw; such a due time is past any deadline anyway.
    static DateTime AddSaturating(DateTime now, TimeSpan delay) =>
        delay > DateTime.MaxValue - now ? DateTime.SpecifyKind(DateTime.MaxValue, now.Kind) : now + delay;
}
