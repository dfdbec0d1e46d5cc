using Orchestrator.Scheduling;
using Orchestrator.Tests.Workers;

namespace Orchestrator.Tests.Retries;

/// <summary>How long the retry poller may sleep: fast near a retry this process scheduled, idle otherwise.</summary>
public sealed class RetryWakeupsSpecs
{
    static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    [Fact]
    public void Should_sleep_the_idle_interval_when_nothing_is_due_and_until_the_next_retry_when_one_is()
    {
        var clock = new ManualClock();
        var wakeups = new RetryWakeups(clock);
        Assert.Equal(Idle, wakeups.Plan(Fast, Idle).Sleep);

        var now = clock.GetUtcNow().UtcDateTime;
        wakeups.Due(now.AddMilliseconds(400));
        Assert.Equal(TimeSpan.FromMilliseconds(400), wakeups.Plan(Fast, Idle).Sleep);
        wakeups.Due(now.AddSeconds(30));
        Assert.Equal(TimeSpan.FromMilliseconds(400), wakeups.Plan(Fast, Idle).Sleep); // the earliest counts

        // At the due time and for the grace after it (a commit may land late): the fast pace.
        clock.Advance(TimeSpan.FromMilliseconds(350));
        Assert.Equal(Fast, wakeups.Plan(Fast, Idle).Sleep);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(Fast, wakeups.Plan(Fast, Idle).Sleep);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(Idle, wakeups.Plan(Fast, Idle).Sleep); // only the one 30 s away is left
    }

    [Fact]
    public async Task Should_wake_a_sleeping_poller_when_an_earlier_retry_is_scheduled()
    {
        var clock = new ManualClock();
        var wakeups = new RetryWakeups(clock);
        wakeups.Due(clock.GetUtcNow().UtcDateTime.AddSeconds(10));
        var (_, earlier) = wakeups.Plan(Fast, Idle);
        Assert.False(earlier.IsCompleted);

        wakeups.Due(clock.GetUtcNow().UtcDateTime.AddSeconds(20)); // later: no reason to wake
        Assert.False(earlier.IsCompleted);
        wakeups.Due(clock.GetUtcNow().UtcDateTime.AddMilliseconds(200));
        await Eventually.Completes(earlier, TimeSpan.FromSeconds(5), "an earlier retry should wake the sleeping poller");
    }
}
