using Orchestrator.Contracts;
using Orchestrator.StateMachines;

namespace Orchestrator.Tests.StateMachines;

public sealed class When_a_request_is_stopped
{
    [Fact]
    public async Task Should_cancel_a_scheduled_retry_and_clear_its_timer()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("stop-1"));
        await spec.InState("stop-1", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Failed("stop-1", 1, FailureKind.Transient, 503));
        var scheduled = await spec.InState("stop-1", m => m.RetryScheduled);
        // The in-memory repository hands out the live instance: keep what the spec needs before it changes.
        var token = scheduled!.RetryToken!.Value;

        await spec.Harness.Bus.Publish(new CancelInference { RequestId = "stop-1", Reason = "operator: no longer needed" });
        var saga = await spec.InState("stop-1", m => m.Cancelled);
        Assert.NotNull(saga);
        Assert.Equal("operator: no longer needed", saga.Reason);
        Assert.Null(saga.NextAttemptAt);
        Assert.Null(saga.RetryToken);
        Assert.True(await spec.WasPublished<InferenceCancelled>(m => m.RequestId == "stop-1"));

        // The timer that slipped through changes nothing.
        await spec.Harness.Bus.Publish(new RetryDue
        {
            RequestId = "stop-1",
            Token = token,
            DueAt = spec.Now,
            FiredAt = spec.Now,
            Source = "quartz",
        });
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>(m => m.Attempt == 2));
    }

    [Fact]
    public async Task Should_leave_a_finished_request_as_it_is()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("stop-2"));
        await spec.InState("stop-2", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Succeeded("stop-2", 1));
        await spec.InState("stop-2", m => m.Succeeded);

        await spec.Harness.Bus.Publish(new CancelInference { RequestId = "stop-2" });
        await spec.Settle();
        Assert.NotNull(await spec.InState("stop-2", m => m.Succeeded));
        Assert.Empty(await spec.PublishedOnceSettled<InferenceCancelled>());
    }

    [Fact]
    public async Task Should_time_out_an_attempt_and_record_a_late_result_as_stale()
    {
        await using var spec = await SagaSpecHarness.StartAsync(t =>
        {
            t.StartToCloseTimeout = TimeSpan.FromMilliseconds(1);
            t.ScheduleToCloseTimeout = TimeSpan.FromMilliseconds(1);
        });
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("stop-3"));
        await spec.InState("stop-3", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Started("stop-3", 1));
        await spec.InState("stop-3", m => m.Processing);
        spec.Clock.Advance(TimeSpan.FromMilliseconds(20)); // the 1 ms timeout has passed
        await spec.Harness.Bus.Publish(new AttemptTimedOut { RequestId = "stop-3", Attempt = 1, TimeoutAt = spec.Now });

        var saga = await spec.InState("stop-3", m => m.RetryScheduled);
        Assert.NotNull(saga);
        var row = Assert.Single(saga.Attempts);
        Assert.Equal(AttemptOutcome.TimedOut, row.Outcome);
        Assert.Equal("timeout", row.Cause);

        await spec.Harness.Bus.Publish(spec.Succeeded("stop-3", 1));
        await spec.Settle();
        saga = await spec.InState("stop-3", m => m.RetryScheduled);
        Assert.Equal("Succeeded", Assert.Single(saga!.Attempts).StaleResult);
        Assert.Null(saga.Output);
    }

    [Fact]
    public async Task Should_fail_with_DeadlineExceeded_when_the_deadline_passes_mid_attempt()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("stop-4") with { Deadline = spec.Now.AddMilliseconds(10) });
        await spec.InState("stop-4", m => m.Pending);
        spec.Clock.Advance(TimeSpan.FromMilliseconds(30)); // the 10 ms deadline has passed
        await spec.Harness.Bus.Publish(new DeadlineReached { RequestId = "stop-4", Deadline = spec.Now });

        var saga = await spec.InState("stop-4", m => m.Failed);
        Assert.NotNull(saga);
        Assert.Equal(nameof(FailureKind.DeadlineExceeded), saga.FailureKind);
    }
}
