using Orchestrator.Contracts;
using Orchestrator.StateMachines;
using Orchestrator.Submission;

namespace Orchestrator.Tests.StateMachines;

public sealed class When_a_worker_reports_an_attempt
{
    [Fact]
    public async Task Should_move_to_processing_when_the_attempt_starts()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-start"));
        await spec.InState("req-start", m => m.Pending);
        var started = spec.Started("req-start", 1) with { StartedAt = spec.Now.AddMilliseconds(-25) };
        await spec.Harness.Bus.Publish(started);

        var saga = await spec.InState("req-start", m => m.Processing);
        Assert.NotNull(saga);
        var row = Assert.Single(saga.Attempts);
        Assert.Equal("worker-a", row.WorkerId);
        Assert.Equal(AttemptOutcome.Running, row.Outcome);
        Assert.Equal(started.StartedAt.UtcDateTime, row.StartedAt);
        Assert.Equal(spec.Now.UtcDateTime + new TimeoutOptions().StartToCloseTimeout, saga.AttemptTimeoutAt);
    }

    [Fact]
    public async Task Should_give_an_attempt_started_late_in_its_schedule_to_close_window_its_whole_start_to_close()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-late-start"));
        var pending = await spec.InState("req-late-start", m => m.Pending);
        var timeouts = new TimeoutOptions();
        Assert.Equal(spec.Now.UtcDateTime + timeouts.ScheduleToCloseTimeout, pending!.AttemptTimeoutAt);
        // A worker takes it one second before its schedule-to-close clock runs out (it waited behind a backlog).
        spec.Clock.Advance(timeouts.ScheduleToCloseTimeout - TimeSpan.FromSeconds(1));
        await spec.Harness.Bus.Publish(spec.Started("req-late-start", 1));

        var saga = await spec.InState("req-late-start", m => m.Processing);
        Assert.Equal(spec.Now.UtcDateTime + timeouts.StartToCloseTimeout, saga!.AttemptTimeoutAt);
    }

    [Fact]
    public async Task Should_succeed_and_publish_one_outcome_with_a_derived_message_id()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-ok"));
        await spec.InState("req-ok", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Started("req-ok", 1));
        await spec.InState("req-ok", m => m.Processing);
        await spec.Harness.Bus.Publish(spec.Succeeded("req-ok", 1));

        var saga = await spec.InState("req-ok", m => m.Succeeded);
        Assert.NotNull(saga);
        Assert.Equal("Hi there", saga.Output);
        Assert.Equal(0.95, saga.Confidence);
        Assert.Equal(spec.Now.UtcDateTime, saga.CompletedAt);
        var row = Assert.Single(saga.Attempts);
        Assert.Equal(AttemptOutcome.Succeeded, row.Outcome);
        Assert.Equal(200, row.HttpStatus);
        // The worker's own clock: it ran from 40 ms before it answered (the harness's Succeeded) until now.
        Assert.Equal(40, row.LatencyMs);
        Assert.Equal(spec.Now.UtcDateTime, row.FinishedAt);

        Assert.True(await spec.WasPublished<InferenceSucceeded>(_ => true));
        await spec.Settle();
        var outcome = Assert.Single(spec.Harness.Published.Select<InferenceSucceeded>());
        Assert.Equal(RequestIdentity.OutcomeMessageId("req-ok", 1), outcome.Context.MessageId);
        Assert.Equal(1, outcome.Context.Message.Attempts);
    }

    [Fact]
    public async Task Should_fail_with_the_reason_when_the_attempt_fails()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-400"));
        await spec.InState("req-400", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Failed("req-400", 1));

        var saga = await spec.InState("req-400", m => m.Failed);
        Assert.NotNull(saga);
        Assert.Equal(nameof(FailureKind.Permanent), saga.FailureKind);
        Assert.Equal("HTTP 400 from sim: bad request", saga.Reason);
        var row = Assert.Single(saga.Attempts);
        Assert.Equal(AttemptOutcome.Failed, row.Outcome);
        Assert.Equal(400, row.HttpStatus);
        Assert.True(await spec.WasPublished<InferenceFailed>(m => m.Reason == "HTTP 400 from sim: bad request"));
        await spec.Settle();
        Assert.Equal(RequestIdentity.OutcomeMessageId("req-400", 1), spec.Harness.Published.Select<InferenceFailed>().Single().Context.MessageId);
    }

    [Fact]
    public async Task Should_accept_a_result_that_overtakes_its_started_event()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-race"));
        await spec.InState("req-race", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Succeeded("req-race", 1));
        Assert.NotNull(await spec.InState("req-race", m => m.Succeeded));

        await spec.Harness.Bus.Publish(spec.Started("req-race", 1));
        await spec.Settle();
        var saga = await spec.InState("req-race", m => m.Succeeded);
        Assert.NotNull(saga);
        Assert.Single(saga.Attempts);
        Assert.Single(spec.Harness.Published.Select<InferenceSucceeded>());
    }
}
