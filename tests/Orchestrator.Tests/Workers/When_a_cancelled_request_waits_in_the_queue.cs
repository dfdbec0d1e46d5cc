using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Contracts;
using Orchestrator.SimulatedModel;
using Orchestrator.Workers.Consumers;

namespace Orchestrator.Tests.Workers;

/// <summary>
/// A worker hears every cancellation on its own fleet queue; an attempt of a cancelled request that is still queued
/// when its turn comes is dropped without a model call and without a report, so a cancelled backlog drains at the
/// broker's pace. The attempts of other requests go on as before.
/// </summary>
public sealed class When_a_cancelled_request_waits_in_the_queue : IAsyncLifetime
{
    readonly ManualClock _clock = new();
    SimulatedModelServer _model = null!;

    public async Task InitializeAsync() => _model = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());

    public async Task DisposeAsync() => await _model.DisposeAsync();

    [Fact]
    public async Task Should_drop_its_attempt_without_calling_the_model_or_reporting()
    {
        await using var worker = await WorkerSpecHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Workers:WorkerId"] = "worker-cancel",
            ["Workers:Models:sim:Endpoints:0:BaseUrl"] = _model.BaseAddress.ToString(),
        }, _clock);
        var cancelled = worker.Services.GetRequiredService<CancelledRequests>();
        await worker.Harness.Bus.Publish(new InferenceCancelled { RequestId = "gone-1", Reason = "bulk cancel", Attempts = 0, CancelledAt = DateTimeOffset.UtcNow });
        await Eventually.True(() => cancelled.Contains("gone-1"), WorkerSpecHarness.Patience, "the worker heard gone-1 was cancelled");

        await worker.Harness.Bus.Publish(WorkerSpecHarness.Invoke("gone-1", 1));
        // A request of its own, after it: once its answer is back, the invoke of gone-1 was long consumed.
        Assert.IsType<AttemptSucceeded>(await worker.AttemptAsync("kept-1", 1));
        Assert.True(await worker.Harness.Consumed.Any<InvokeModel>(c => c.Context.Message.RequestId == "gone-1"));

        Assert.Equal(0, _model.Stats.CallsFor("gone-1"));
        Assert.Equal(1, _model.Stats.CallsFor("kept-1"));
        Assert.DoesNotContain(worker.Harness.Published.Select<AttemptSucceeded>(), p => p.Context.Message.RequestId == "gone-1");
        Assert.DoesNotContain(worker.Harness.Published.Select<AttemptFailed>(), p => p.Context.Message.RequestId == "gone-1");
        Assert.DoesNotContain(worker.Harness.Published.Select<AttemptStarted>(), p => p.Context.Message.RequestId == "gone-1");
    }

    [Fact]
    public void Should_forget_a_cancellation_after_its_retention_and_the_oldest_beyond_its_capacity()
    {
        var clock = new ManualClock();
        var cancelled = new CancelledRequests(clock);
        cancelled.Heard("old");
        clock.Advance(CancelledRequests.Retention + TimeSpan.FromSeconds(1));
        Assert.False(cancelled.Contains("old"));

        for (var i = 0; i <= CancelledRequests.Capacity; i++)
        {
            cancelled.Heard($"r-{i}");
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        Assert.True(cancelled.Count <= CancelledRequests.Capacity);
        Assert.False(cancelled.Contains("r-0"));
        Assert.True(cancelled.Contains($"r-{CancelledRequests.Capacity}"));
    }
}
