using System.Diagnostics;

namespace Orchestrator.IntegrationTests.Infrastructure;

/// <summary>Polls a condition with a bounded timeout instead of sleeping for a guessed time.</summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var value = await probe();
            if (done(value))
                return value;
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"{what}: not reached within {timeout.TotalSeconds:0} s (last value: {value})");
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }
}
