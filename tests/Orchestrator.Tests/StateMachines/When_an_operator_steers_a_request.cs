using MassTransit.Testing;
using Orchestrator.Contracts;
using Orchestrator.StateMachines;
using Orchestrator.Submission;

namespace Orchestrator.Tests.StateMachines;

public sealed class When_an_operator_steers_a_request
{
    [Fact]
    public async Task Should_pause_a_scheduled_retry_and_start_the_next_attempt_on_resume()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("steer-1"));
        await spec.InState("steer-1", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Failed("steer-1", 1, FailureKind.Transient, 503));
        var scheduled = await spec.InState("steer-1", m => m.RetryScheduled);
        var token = scheduled!.RetryToken!.Value;

        await spec.Harness.Bus.Publish(new PauseInference { RequestId = "steer-1", Reason = "incident 42" });
        var paused = await spec.InState("steer-1", m => m.Paused);
        Assert.NotNull(paused);
        Assert.Equal(spec.Now.UtcDateTime, paused.PausedAt);
        Assert.Null(paused.NextAttemptAt);
        Assert.Null(paused.RetryToken);

        // The retry timer that was already claimed changes nothing while paused.
        await spec.Harness.Bus.Publish(new RetryDue { RequestId = "steer-1", Token = token, DueAt = spec.Now, FiredAt = spec.Now, Source = "poller" });
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>(m => m.Attempt == 2));

        await spec.Harness.Bus.Publish(new ResumeInference { RequestId = "steer-1" });
        var resumed = await spec.InState("steer-1", m => m.Pending);
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "steer-1" && m.Attempt == 2));
        Assert.NotNull(resumed);
        Assert.Null(resumed.PausedAt);
        Assert.Equal(2, resumed.Attempt);
    }

    [Fact]
    public async Task Should_keep_the_success_of_the_attempt_that_ran_when_paused()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("steer-2"));
        await spec.InState("steer-2", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Started("steer-2", 1));
        await spec.InState("steer-2", m => m.Processing);

        await spec.Harness.Bus.Publish(new PauseInference { RequestId = "steer-2" });
        Assert.NotNull(await spec.InState("steer-2", m => m.Paused));
        await spec.Harness.Bus.Publish(spec.Succeeded("steer-2", 1));

        var saga = await spec.InState("steer-2", m => m.Succeeded);
        Assert.NotNull(saga);
        Assert.Null(saga.PausedAt);
        Assert.Equal("Hi there", saga.Output);
        Assert.True(await spec.WasPublished<InferenceSucceeded>(m => m.RequestId == "steer-2"));
    }

    [Fact]
    public async Task Should_record_a_transient_failure_while_paused_and_retry_only_after_resume()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("steer-3"));
        await spec.InState("steer-3", m => m.Pending);
        await spec.Harness.Bus.Publish(new PauseInference { RequestId = "steer-3" });
        await spec.InState("steer-3", m => m.Paused);

        await spec.Harness.Bus.Publish(spec.Failed("steer-3", 1, FailureKind.Transient, 503));
        await spec.Settle();
        var saga = await spec.InState("steer-3", m => m.Paused);
        Assert.NotNull(saga);
        Assert.Equal(nameof(FailureKind.Transient), saga.FailureKind);
        Assert.Null(saga.RetryToken);
        Assert.Null(saga.NextAttemptAt);
        Assert.Null(saga.AttemptTimeoutAt);
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>(m => m.Attempt == 2));

        // The same failure redelivered is late now: the attempt was decided.
        await spec.Harness.Bus.Publish(spec.Failed("steer-3", 1, FailureKind.Transient, 503));
        await spec.Settle();
        Assert.NotNull(await spec.InState("steer-3", m => m.Paused));

        await spec.Harness.Bus.Publish(new ResumeInference { RequestId = "steer-3" });
        Assert.NotNull(await spec.InState("steer-3", m => m.Pending));
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "steer-3" && m.Attempt == 2));
    }

    [Fact]
    public async Task Should_fail_at_once_when_the_running_attempt_fails_permanently_while_paused()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("steer-4"));
        await spec.InState("steer-4", m => m.Pending);
        await spec.Harness.Bus.Publish(new PauseInference { RequestId = "steer-4" });
        await spec.InState("steer-4", m => m.Paused);

        await spec.Harness.Bus.Publish(spec.Failed("steer-4", 1, FailureKind.Permanent, 400));
        var saga = await spec.InState("steer-4", m => m.Failed);
        Assert.NotNull(saga);
        Assert.Null(saga.PausedAt);
        Assert.True(await spec.WasPublished<InferenceFailed>(m => m.RequestId == "steer-4"));
    }

    [Fact]
    public async Task Should_resume_waiting_for_an_attempt_still_running()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("steer-5"));
        await spec.InState("steer-5", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Started("steer-5", 1));
        await spec.InState("steer-5", m => m.Processing);
        await spec.Harness.Bus.Publish(new PauseInference { RequestId = "steer-5" });
        await spec.InState("steer-5", m => m.Paused);

        await spec.Harness.Bus.Publish(new ResumeInference { RequestId = "steer-5" });
        var saga = await spec.InState("steer-5", m => m.Processing);
        Assert.NotNull(saga);
        Assert.Equal(1, saga.Attempt);
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>(m => m.Attempt == 2));
    }

    [Fact]
    public async Task Should_run_a_scheduled_retry_now()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("steer-6"));
        await spec.InState("steer-6", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Failed("steer-6", 1, FailureKind.Transient, 503));
        await spec.InState("steer-6", m => m.RetryScheduled);

        await spec.Harness.Bus.Publish(new RetryInference { RequestId = "steer-6" });
        var saga = await spec.InState("steer-6", m => m.Pending);
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "steer-6" && m.Attempt == 2));
        Assert.NotNull(saga);
        Assert.Null(saga.RetryToken);
        Assert.Null(saga.NextAttemptAt);
    }

    [Fact]
    public async Task Should_reopen_a_failed_request_and_publish_its_new_outcome_under_a_new_message_id()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("steer-7"));
        await spec.InState("steer-7", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Failed("steer-7", 1, FailureKind.Permanent, 400));
        await spec.InState("steer-7", m => m.Failed);

        await spec.Harness.Bus.Publish(new RetryInference { RequestId = "steer-7", Reason = "model fixed" });
        var reopened = await spec.InState("steer-7", m => m.Pending);
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "steer-7" && m.Attempt == 2));
        Assert.NotNull(reopened);
        Assert.Equal(2, reopened.Run);
        Assert.Equal(1, reopened.AttemptBase);
        Assert.Null(reopened.CompletedAt);
        Assert.Null(reopened.FailureKind);
        Assert.True(reopened.Deadline > spec.Now.UtcDateTime);

        await spec.Harness.Bus.Publish(spec.Succeeded("steer-7", 2));
        Assert.NotNull(await spec.InState("steer-7", m => m.Succeeded));
        Assert.True(await spec.WasPublished<InferenceSucceeded>(m => m.RequestId == "steer-7"));
        var failedId = spec.Harness.Published.Select<InferenceFailed>().Single(m => m.Context.Message.RequestId == "steer-7").Context.MessageId;
        var succeededId = spec.Harness.Published.Select<InferenceSucceeded>().Single(m => m.Context.Message.RequestId == "steer-7").Context.MessageId;
        Assert.Equal(RequestIdentity.OutcomeMessageId("steer-7", 1), failedId);
        Assert.Equal(RequestIdentity.OutcomeMessageId("steer-7", 1, run: 2), succeededId);
        Assert.NotEqual(failedId, succeededId);
    }

    [Fact]
    public async Task Should_give_a_reopened_request_a_fresh_retry_budget()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("steer-8"));
        await spec.InState("steer-8", m => m.Pending);
        // Exhaust the default budget (5 attempts; HTTP 500 has no per-cause override) with transient failures, each retry run at once by an operator.
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await spec.Harness.Bus.Publish(spec.Failed("steer-8", attempt, FailureKind.Transient, 500));
            if (attempt == 5)
                break;
            Assert.NotNull(await spec.InState("steer-8", m => m.RetryScheduled));
            await spec.Harness.Bus.Publish(new RetryInference { RequestId = "steer-8" });
            Assert.NotNull(await spec.InState("steer-8", m => m.Pending));
        }
        Assert.NotNull(await spec.InState("steer-8", m => m.Failed));

        await spec.Harness.Bus.Publish(new RetryInference { RequestId = "steer-8" });
        Assert.NotNull(await spec.InState("steer-8", m => m.Pending));
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "steer-8" && m.Attempt == 6));
        await spec.Harness.Bus.Publish(spec.Failed("steer-8", 6, FailureKind.Transient, 500));
        // The first failure of the new run is retried, not the end.
        var saga = await spec.InState("steer-8", m => m.RetryScheduled);
        Assert.NotNull(saga);
        Assert.Equal(6, saga.Attempt);
    }

    [Fact]
    public async Task Should_not_retry_a_request_that_failed_on_invalid_input()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("steer-9") with { Messages = [] });
        var failed = await spec.InState("steer-9", m => m.Failed);
        Assert.Equal(nameof(FailureKind.InvalidInput), failed!.FailureKind);

        await spec.Harness.Bus.Publish(new RetryInference { RequestId = "steer-9" });
        await spec.Settle();
        Assert.NotNull(await spec.InState("steer-9", m => m.Failed));
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>(m => m.RequestId == "steer-9"));
        Assert.Equal(0, spec.Metrics.IllegalEvents);
    }

    [Fact]
    public async Task Should_ignore_commands_that_do_not_apply_without_counting_them_as_illegal()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("steer-10"));
        await spec.InState("steer-10", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Succeeded("steer-10", 1));
        await spec.InState("steer-10", m => m.Succeeded);

        await spec.Harness.Bus.Publish(new PauseInference { RequestId = "steer-10" });
        await spec.Harness.Bus.Publish(new ResumeInference { RequestId = "steer-10" });
        await spec.Harness.Bus.Publish(new RetryInference { RequestId = "steer-10" });
        await spec.Settle();
        Assert.NotNull(await spec.InState("steer-10", m => m.Succeeded));
        Assert.Equal(1, spec.Harness.Published.Select<InvokeModel>().Count(m => m.Context.Message.RequestId == "steer-10"));
        Assert.Equal(0, spec.Metrics.IllegalEvents);
    }

    [Fact]
    public async Task Should_cancel_a_paused_request()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("steer-11"));
        await spec.InState("steer-11", m => m.Pending);
        await spec.Harness.Bus.Publish(new PauseInference { RequestId = "steer-11" });
        await spec.InState("steer-11", m => m.Paused);

        await spec.Harness.Bus.Publish(new CancelInference { RequestId = "steer-11" });
        var saga = await spec.InState("steer-11", m => m.Cancelled);
        Assert.NotNull(saga);
        Assert.Null(saga.PausedAt);
        Assert.Null(saga.AttemptTimeoutAt);
    }
}
