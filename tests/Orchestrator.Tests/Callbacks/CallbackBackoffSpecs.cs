using Orchestrator.Callbacks;

namespace Orchestrator.Tests.Callbacks;

/// <summary>The wait between callback attempts: the first retry within 10 s, growing, capped, jittered.</summary>
public sealed class CallbackBackoffSpecs
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public void When_the_first_attempt_fails_Should_retry_within_10_seconds(double draw)
    {
        var delay = CallbackBackoff.Delay(new CallbackOptions(), attemptsMade: 1, draw);
        Assert.InRange(delay, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void When_attempts_keep_failing_Should_wait_longer_each_time_up_to_the_maximum()
    {
        var options = new CallbackOptions();
        var delays = Enumerable.Range(1, 12).Select(n => CallbackBackoff.Delay(options, n, 1.0)).ToList();
        Assert.Equal(TimeSpan.FromSeconds(5), delays[0]);
        Assert.Equal(TimeSpan.FromSeconds(30), delays[1]);
        Assert.Equal(TimeSpan.FromMinutes(3), delays[2]);
        Assert.All(delays.Zip(delays.Skip(1)), pair => Assert.True(pair.Second >= pair.First));
        Assert.Equal(options.MaximumInterval, delays[^1]);
    }

    [Fact]
    public void When_the_default_attempts_all_fail_Should_spread_them_over_less_than_the_maximum_age()
    {
        var options = new CallbackOptions();
        var total = Enumerable.Range(1, options.MaximumAttempts - 1).Aggregate(TimeSpan.Zero, (sum, n) => sum + CallbackBackoff.Delay(options, n, 1.0));
        Assert.True(total < options.MaximumAge, $"the default attempts take {total} in all, more than {options.MaximumAge}");
        Assert.True(total > TimeSpan.FromHours(6), $"the default attempts give up after {total}: too soon for a receiver's outage");
    }
}
