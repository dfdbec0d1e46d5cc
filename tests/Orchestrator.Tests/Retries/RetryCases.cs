using FsCheck;
using FsCheck.Fluent;
using Orchestrator.Contracts;
using Orchestrator.Retries;

namespace Orchestrator.Tests.Retries;

/// <summary>A per-cause override in plain values, so a failing case prints readably.</summary>
public sealed record OverrideSpec(int? InitialMs, double? Coefficient, int? MaximumMs)
{
    public RetryOverride ToOverride() => new()
    {
        InitialInterval = InitialMs is { } i ? TimeSpan.FromMilliseconds(i) : null,
        BackoffCoefficient = Coefficient,
        MaximumInterval = MaximumMs is { } m ? TimeSpan.FromMilliseconds(m) : null,
    };
}

/// <summary>One generated input of <see cref="RetryPlanner.Delay"/>.</summary>
public sealed record DelayCase(
    int InitialMs,
    double Coefficient,
    int MaximumMs,
    JitterKind Jitter,
    OverrideSpec? Cause,
    RetryPolicyRequest? Request,
    int RetryNumber,
    int? PreviousDelayMs,
    int? RetryAfterMs,
    double Random01)
{
    public RetryPolicyOptions Policy(JitterKind? jitter = null)
    {
        var policy = new RetryPolicyOptions
        {
            InitialInterval = TimeSpan.FromMilliseconds(InitialMs),
            BackoffCoefficient = Coefficient,
            MaximumInterval = TimeSpan.FromMilliseconds(MaximumMs),
            Jitter = jitter ?? Jitter,
        };
        if (Cause is not null)
            policy.PerCause["generated"] = Cause.ToOverride();
        return policy;
    }

    public TimeSpan? RetryAfter => RetryAfterMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    public TimeSpan Delay(JitterKind? jitter = null, int? retryNumber = null, bool withRetryAfter = true) =>
        RetryPlanner.Delay(
            Policy(jitter),
            Cause?.ToOverride(),
            Request,
            retryNumber ?? RetryNumber,
            PreviousDelayMs is { } p ? TimeSpan.FromMilliseconds(p) : null,
            withRetryAfter ? RetryAfter : null,
            Random01);

    /// <summary>The maximum interval the planner should use, worked out from the spec independently of the planner.</summary>
    public TimeSpan EffectiveMaximum()
    {
        var cap = new RetryPolicyOptions().MaximumIntervalCap;
        if (Request?.MaximumIntervalMs is { } asked)
        {
            var wanted = TimeSpan.FromMilliseconds(Math.Max(0, asked));
            return wanted > cap ? cap : wanted;
        }
        return TimeSpan.FromMilliseconds(Cause?.MaximumMs ?? MaximumMs);
    }
}

/// <summary>One generated input of <see cref="RetryPlanner.Decide"/>.</summary>
public sealed record DecideCase(
    DelayCase Shape,
    int AttemptsMade,
    int FailuresWithSameCause,
    FailureKind Kind,
    string? Cause,
    DateTime NowUtc,
    int? DeadlineInMs)
{
    public DateTime? DeadlineUtc => DeadlineInMs is { } ms ? NowUtc.AddMilliseconds(ms) : null;

    public RetryDecision Decide() => RetryPlanner.Decide(
        Shape.Policy(),
        Shape.Request,
        new RetryHistory(AttemptsMade, FailuresWithSameCause, Shape.PreviousDelayMs is { } p ? TimeSpan.FromMilliseconds(p) : null),
        new AttemptFailure(Kind, Cause, "boom", Shape.RetryAfter),
        NowUtc,
        DeadlineUtc,
        Shape.Random01);
}

/// <summary>Generators of valid policies and arbitrary (possibly out-of-range) request overrides.</summary>
public static class RetryCases
{
    static Gen<T?> OrNull<T>(Gen<T> gen) where T : struct =>
        Gen.Frequency((1, Gen.Constant<T?>(null)), (3, gen.Select(v => (T?)v)));

    static Gen<T?> OrNullRef<T>(Gen<T> gen) where T : class =>
        Gen.Frequency((1, Gen.Constant<T?>(null)), (3, gen.Select(v => (T?)v)));

    // [0, 1) with both ends well represented: jitter bugs hide at the edges.
    static readonly Gen<double> Random01 = Gen.Frequency(
        (1, Gen.Constant(0.0)),
        (1, Gen.Constant(0.999_999_999)),
        (8, Gen.Choose(0, 999_999).Select(i => i / 1_000_000.0)));

    static readonly Gen<double> Coefficient = Gen.Frequency(
        (1, Gen.Constant(1.0)),
        (1, Gen.Constant(2.0)),
        (4, Gen.Choose(100, 1_000).Select(i => i / 100.0)));

    static readonly Gen<OverrideSpec> Override =
        from initial in OrNull(Gen.Choose(0, 5_000))
        from coefficient in OrNull(Coefficient)
        from maximum in OrNull(Gen.Choose(1, 120_000))
        select new OverrideSpec(initial, coefficient, maximum);

    // Deliberately includes values a caller should not send: negative, zero, and far above the caps.
    static readonly Gen<RetryPolicyRequest> Request =
        from attempts in OrNull(Gen.Choose(-5, 1_000))
        from initial in OrNull(Gen.Choose(-1_000, 10_000_000))
        from coefficient in OrNull(Gen.Choose(-100, 1_000).Select(i => i / 100.0))
        from maximum in OrNull(Gen.Choose(-1_000, 10_000_000))
        select new RetryPolicyRequest(attempts, initial, coefficient, maximum);

    public static readonly Gen<DelayCase> DelayCaseGen =
        (from initial in Gen.Choose(0, 10_000)
         from coefficient in Coefficient
         from extra in Gen.Choose(1, 120_000)
         from jitter in Gen.Elements(Enum.GetValues<JitterKind>())
         from cause in OrNullRef(Override)
         from request in OrNullRef(Request)
         from retryNumber in Gen.Choose(1, 100)
         from previous in OrNull(Gen.Choose(0, 200_000))
         from retryAfter in OrNull(Gen.Choose(0, 200_000))
         from random in Random01
         select new DelayCase(initial, coefficient, initial + extra, jitter, cause, request, retryNumber, previous, retryAfter, random))
        .Where(c => c.Policy().Problem() is null);

    static readonly string?[] Causes = [null, "timeout", "connect", "reset", "malformed", "http-429", "http-503", "HTTP-503", "http-401", "http-403", "generated", "unheard-of"];

    public static readonly Gen<DecideCase> DecideCaseGen =
        from shape in DelayCaseGen
        from attempts in Gen.Choose(1, 30)
        from sameCause in Gen.Choose(1, attempts)
        from kind in Gen.Elements(Enum.GetValues<FailureKind>())
        from cause in Gen.Elements(Causes)
        from seconds in Gen.Choose(0, 1_000_000_000)
        let undated = new DecideCase(shape, attempts, sameCause, kind, cause, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(seconds), null)
        from deadline in Deadline(undated)
        select undated with { DeadlineInMs = deadline };

    // Deadline bugs live where the due time and the deadline nearly meet, so most deadlines land within 2 s of the
    // delay the case would get without one.
    static Gen<int?> Deadline(DecideCase undated)
    {
        var anywhere = OrNull(Gen.Choose(-10_000, 300_000));
        if (undated.Decide() is not RetryAfterDelay retry)
            return anywhere;
        var delayMs = (int)Math.Min(retry.Delay.TotalMilliseconds, int.MaxValue - 2_000);
        return Gen.Frequency((1, anywhere), (3, Gen.Choose(-2_000, 2_000).Select(d => (int?)(delayMs + d))));
    }

    public static Arbitrary<DelayCase> DelayCases => DelayCaseGen.ToArbitrary();

    public static Arbitrary<DecideCase> DecideCases => DecideCaseGen.ToArbitrary();
}
