using System.Collections;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Orchestrator.TestSupport;

/// <summary>
/// Waits for an outcome by polling it, bounded by a timeout, instead of sleeping for a guessed time. A wait that runs
/// out throws a <see cref="TimeoutException"/> with <c>what</c> (what was awaited: "req-1 in Succeeded"), the last value
/// seen, and <c>detail</c> if given, read only then (a process's output as it is at the failure, not at the start).
/// It polls at once, then after 10 ms, doubling up to 250 ms: quick for the in-memory specs, gentle on the servers the
/// integration tests probe.
/// </summary>
public static class Eventually
{
    static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(10);
    static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(250);

    /// <summary>Waits until the value <paramref name="probe"/> reads satisfies <paramref name="done"/>; returns that value.</summary>
    // A probe that returns a task is awaited: where `done` would compile for the task too (`x => x is null`), this
    // overload wins instead of the call being ambiguous.
    [OverloadResolutionPriority(1)]
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what, Func<string>? detail = null)
    {
        var (reached, last) = await Poll(probe, done, timeout);
        if (reached)
            return last;
        var message = $"{what}: not reached within {timeout.TotalSeconds:0.###} s (last value: {Describe(last)})";
        throw new TimeoutException(detail is null ? message : $"{message}\n{detail()}");
    }

    /// <inheritdoc cref="Until{T}(Func{Task{T}}, Func{T, bool}, TimeSpan, string, Func{string}?)"/>
    public static Task<T> Until<T>(Func<T> probe, Func<T, bool> done, TimeSpan timeout, string what, Func<string>? detail = null) =>
        Until(() => Task.FromResult(probe()), done, timeout, what, detail);

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task True(Func<bool> condition, TimeSpan timeout, string what, Func<string>? detail = null) =>
        Until(condition, held => held, timeout, what, detail);

    /// <summary>
    /// Whether <paramref name="condition"/> comes to hold within <paramref name="timeout"/>: for a caller that asserts
    /// on the answer with a message of its own.
    /// </summary>
    public static async Task<bool> Holds(Func<bool> condition, TimeSpan timeout) =>
        (await Poll(() => Task.FromResult(condition()), held => held, timeout)).Reached;

    /// <summary>Waits until <paramref name="task"/> completes (and rethrows its failure).</summary>
    public static async Task Completes(Task task, TimeSpan timeout, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(timeout)) != task)
            throw new TimeoutException($"{what}: not within {timeout.TotalSeconds:0.###} s (the task is {task.Status})");
        await task;
    }

    static async Task<(bool Reached, T Last)> Poll<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var pause = FirstPause;
        while (true)
        {
            var value = await probe();
            if (done(value))
                return (true, value);
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
                return (false, value);
            // The last poll falls on the deadline, not a pause past it.
            await Task.Delay(pause < left ? pause : left);
            pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
        }
    }

    static string Describe(object? value) => value switch
    {
        null => "null",
        string text => text,
        IEnumerable items => $"[{string.Join(", ", items.Cast<object?>().Select(Describe))}]",
        _ => value.ToString() ?? "",
    };
}
