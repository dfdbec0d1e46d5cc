namespace Orchestrator.Callbacks;

/// <summary>The wait before a callback's next attempt: pure, a function of the options, the attempts made and a random draw.</summary>
public static class CallbackBackoff
{
    /// <summary>
    /// After <paramref name="attemptsMade"/> attempts (1 or more): <c>InitialInterval * BackoffCoefficient^(n-1)</c>,
    /// capped at <c>MaximumInterval</c>, times a jitter between 0.5 and 1 (<paramref name="draw"/> in [0, 1)), so
    /// receivers that came back are not hit by every sender at once.
    /// </summary>
    public static TimeSpan Delay(CallbackOptions options, int attemptsMade, double draw)
    {
        var exponent = Math.Max(0, attemptsMade - 1);
        var ms = options.InitialInterval.TotalMilliseconds * Math.Pow(options.BackoffCoefficient, exponent);
        var capped = Math.Min(double.IsFinite(ms) ? ms : double.MaxValue, options.MaximumInterval.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + 0.5 * Math.Clamp(draw, 0, 1)));
    }
}
