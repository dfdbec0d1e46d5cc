namespace Orchestrator.Tests.TestSupport;

/// <summary>The one polling helper every test project waits with: bounded, and a failure that says what it saw.</summary>
public sealed class EventuallySpecs
{
    static readonly TimeSpan Short = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Should_return_the_first_value_that_satisfies_the_condition()
    {
        var reads = 0;
        Assert.Equal(3, await Eventually.Until(() => ++reads, n => n >= 3, TimeSpan.FromSeconds(5), "three reads"));
        Assert.Equal(3, reads);
    }

    [Fact]
    public async Task Should_fail_with_what_was_awaited_the_last_value_and_the_detail_as_it_is_then()
    {
        var detail = "at the start";
        var seen = new List<int>();
        var waiting = Eventually.Until(async () =>
        {
            await Task.Yield();
            seen.Add(seen.Count);
            detail = "at the failure";
            return seen;
        }, _ => false, Short, "the impossible", () => detail);

        var failure = await Assert.ThrowsAsync<TimeoutException>(() => waiting);

        Assert.True(seen.Count > 1, $"polled {seen.Count} times in 100 ms");
        Assert.StartsWith($"the impossible: not reached within 0.1 s (last value: [{string.Join(", ", seen)}])", failure.Message, StringComparison.Ordinal);
        Assert.EndsWith("\nat the failure", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_answer_false_when_a_condition_never_holds_and_true_as_soon_as_it_does()
    {
        Assert.False(await Eventually.Holds(() => false, Short));
        Assert.True(await Eventually.Holds(() => true, Short));
        await Assert.ThrowsAsync<TimeoutException>(() => Eventually.True(() => false, Short, "never"));
    }

    [Fact]
    public async Task Should_wait_for_a_task_and_fail_when_it_does_not_complete_in_time()
    {
        await Eventually.Completes(Task.Delay(10), TimeSpan.FromSeconds(5), "a short delay");
        var never = new TaskCompletionSource();
        var failure = await Assert.ThrowsAsync<TimeoutException>(() => Eventually.Completes(never.Task, Short, "the never task"));
        Assert.StartsWith("the never task: not within 0.1 s", failure.Message, StringComparison.Ordinal);
    }
}
