using Orchestrator.Contracts;
using Orchestrator.StateMachines;

namespace Orchestrator.Tests.StateMachines;

public sealed class When_an_attempt_fails_transiently
{
    static async Task<InferenceRequestState> ScheduledRetry(SagaSpecHarness spec, string id, int status = 503, TimeSpan? retryAfter = null)
    {
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request(id));
        await spec.InState(id, m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Failed(id, 1, FailureKind.Transient, status, retryAfter));
        var saga = await spec.InState(id, m => m.RetryScheduled);
        Assert.NotNull(saga);
        return saga;
    }

    [Fact]
    public async Task Should_schedule_a_retry_within_the_policy_bounds_on_the_row()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var before = spec.Now.UtcDateTime;
        var saga = await ScheduledRetry(spec, "retry-1");

        Assert.NotNull(saga.RetryToken);
        // http-503 retries start at 2 s, proportional jitter: 1 s to 2 s.
        Assert.InRange(saga.NextAttemptAt!.Value, before.AddSeconds(1), spec.Now.UtcDateTime.AddSeconds(2));
        var row = Assert.Single(saga.Attempts);
        Assert.InRange(row.BackoffMs!.Value, 1000, 2000);
        Assert.Equal(saga.NextAttemptAt, row.ScheduledFor);
        Assert.Equal("http-503", row.Cause);
        Assert.Null(saga.AttemptTimeoutAt);
        Assert.Empty(await spec.PublishedOnceSettled<InferenceFailed>());
    }

    [Fact]
    public async Task Should_start_the_next_attempt_when_the_timer_fires()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var saga = await ScheduledRetry(spec, "retry-2");
        await spec.Harness.Bus.Publish(new RetryDue
        {
            RequestId = "retry-2",
            Token = saga.RetryToken!.Value,
            DueAt = spec.Now,
            FiredAt = spec.Now,
            Source = "quartz",
        });

        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "retry-2" && m.Attempt == 2));
        var pending = await spec.InState("retry-2", m => m.Pending);
        Assert.Equal(2, pending!.Attempt);
        Assert.Null(pending.RetryToken);
        Assert.Equal(spec.Now.UtcDateTime, pending.Attempts.Single(a => a.Attempt == 1).FiredAt);
        Assert.Equal(spec.Now.UtcDateTime + new TimeoutOptions().ScheduleToCloseTimeout, pending.AttemptTimeoutAt);
    }

    [Fact]
    public async Task Should_ignore_a_timer_fire_with_a_stale_token()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await ScheduledRetry(spec, "retry-3");
        await spec.Harness.Bus.Publish(new RetryDue
        {
            RequestId = "retry-3",
            Token = Guid.NewGuid(),
            DueAt = spec.Now,
            FiredAt = spec.Now,
            Source = "sweep",
        });
        await spec.Settle();

        Assert.Equal(1, (await spec.InState("retry-3", m => m.RetryScheduled))!.Attempt);
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>(m => m.Attempt == 2));
    }

    [Fact]
    public async Task Should_never_retry_sooner_than_retry_after()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var before = spec.Now.UtcDateTime;
        var saga = await ScheduledRetry(spec, "retry-429", 429, TimeSpan.FromSeconds(7));
        Assert.True(saga.NextAttemptAt >= before.AddSeconds(7));
        Assert.Equal(7000, Assert.Single(saga.Attempts).RetryAfterMs);
    }

    [Fact]
    public async Task Should_fail_with_DeadlineExceeded_when_the_backoff_would_pass_the_deadline()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("retry-deadline") with { Deadline = spec.Now.AddMilliseconds(800) });
        await spec.InState("retry-deadline", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Failed("retry-deadline", 1, FailureKind.Transient, 503));

        var saga = await spec.InState("retry-deadline", m => m.Failed);
        Assert.NotNull(saga);
        Assert.Equal(nameof(FailureKind.DeadlineExceeded), saga.FailureKind);
        Assert.Contains("after the deadline", saga.Reason, StringComparison.Ordinal);
        Assert.True(await spec.WasPublished<InferenceFailed>(m => m.Kind == FailureKind.DeadlineExceeded));
        Assert.Null(saga.NextAttemptAt);
        Assert.Null(saga.RetryToken);
    }

    [Fact]
    public async Task Should_give_up_after_the_retries_of_its_cause()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var saga = await ScheduledRetry(spec, "retry-401", 401);
        await spec.Harness.Bus.Publish(new RetryDue
        {
            RequestId = "retry-401",
            Token = saga.RetryToken!.Value,
            DueAt = spec.Now,
            FiredAt = spec.Now,
            Source = "quartz",
        });
        await spec.InState("retry-401", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Failed("retry-401", 2, FailureKind.Transient, 401));

        var failed = await spec.InState("retry-401", m => m.Failed);
        Assert.NotNull(failed);
        Assert.Equal(nameof(FailureKind.Permanent), failed.FailureKind);
        Assert.Equal(2, failed.Attempts.Count);
    }
}
