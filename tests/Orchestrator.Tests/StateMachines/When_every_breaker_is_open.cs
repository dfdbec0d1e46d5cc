using MassTransit.Testing;
using Orchestrator.Contracts;
using Orchestrator.StateMachines;

namespace Orchestrator.Tests.StateMachines;

/// <summary>
/// A worker found every breaker of the model open and made no call: the saga waits until the half-open time the
/// worker named, then sends the same attempt again. No attempt is spent, no attempt row is written, and only the
/// deadline can end the wait.
/// </summary>
public sealed class When_every_breaker_is_open
{
    static AttemptFailed CircuitOpen(SagaSpecHarness spec, string requestId, int attempt, DateTimeOffset retryAt) => new()
    {
        RequestId = requestId,
        Attempt = attempt,
        WorkerId = "worker-a",
        Kind = FailureKind.CircuitOpen,
        Cause = "circuit-open",
        Reason = $"every endpoint of model 'sim' is open (sim open until {retryAt:O})",
        RetryAt = retryAt,
        StartedAt = spec.Now,
        FinishedAt = spec.Now,
    };

    static RetryDue Fire(SagaSpecHarness spec, string requestId, InferenceRequestState saga) => new()
    {
        RequestId = requestId,
        Token = saga.RetryToken!.Value,
        DueAt = spec.Now,
        FiredAt = spec.Now,
        Source = "poller",
    };

    [Fact]
    public async Task Should_schedule_the_retry_at_the_half_open_time_without_using_an_attempt()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        const string id = "open-1";
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request(id));
        await spec.InState(id, m => m.Pending);
        var retryAt = spec.Now.AddSeconds(4);
        await spec.Harness.Bus.Publish(CircuitOpen(spec, id, 1, retryAt));

        var saga = await spec.InState(id, m => m.RetryScheduled);
        Assert.NotNull(saga);
        Assert.Equal(retryAt.UtcDateTime, saga.NextAttemptAt);
        Assert.NotNull(saga.RetryToken);
        Assert.Equal(0, saga.Attempt); // the fast-fail made no call: attempt 1 is still to come
        Assert.Equal(1, Orchestrator.Api.RequestView.From(saga, withAttempts: false).NextAttempt);
        Assert.Equal(nameof(FailureKind.CircuitOpen), saga.FailureKind);
        Assert.StartsWith("every endpoint of model 'sim' is open", saga.Reason, StringComparison.Ordinal);
        Assert.Empty(saga.Attempts);
        Assert.Null(saga.AttemptTimeoutAt);
    }

    [Fact]
    public async Task Should_send_the_same_attempt_again_when_the_timer_fires()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        const string id = "open-2";
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request(id));
        await spec.InState(id, m => m.Pending);
        await spec.Harness.Bus.Publish(CircuitOpen(spec, id, 1, spec.Now.AddSeconds(1)));
        var waiting = await spec.InState(id, m => m.RetryScheduled);
        await spec.Harness.Bus.Publish(Fire(spec, id, waiting!));

        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == id && m.Attempt == 1 &&
                                                             spec.Harness.Published.Select<InvokeModel>().Count(x => x.Context.Message.RequestId == id) == 2),
            "the same attempt should be dispatched a second time");
        var pending = await spec.InState(id, m => m.Pending);
        Assert.Equal(1, pending!.Attempt);
        Assert.Null(pending.RetryToken);
        Assert.Equal(spec.Now.UtcDateTime + new TimeoutOptions().ScheduleToCloseTimeout, pending.AttemptTimeoutAt);
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>(m => m.RequestId == id && m.Attempt == 2));

        // That dispatch is served: the request succeeds on attempt 1 with one attempt row.
        await spec.Harness.Bus.Publish(spec.Started(id, 1));
        await spec.Harness.Bus.Publish(spec.Succeeded(id, 1));
        var done = await spec.InState(id, m => m.Succeeded);
        Assert.Equal(1, Assert.Single(done!.Attempts).Attempt);
        Assert.True(await spec.WasPublished<InferenceSucceeded>(m => m.RequestId == id && m.Attempts == 1));
    }

    [Fact]
    public async Task Should_not_spend_the_attempt_budget_however_often_the_breakers_are_open()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        const string id = "open-3";
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request(id));
        await spec.InState(id, m => m.Pending);
        // The default policy allows 5 attempts; 7 circuit-open waits in a row leave the request on attempt 1.
        for (var i = 1; i <= 7; i++)
        {
            await spec.Harness.Bus.Publish(CircuitOpen(spec, id, 1, spec.Now.AddMilliseconds(100)));
            var waiting = await spec.InState(id, m => m.RetryScheduled);
            Assert.True(waiting is not null, $"wait {i}: not in RetryScheduled");
            await spec.Harness.Bus.Publish(Fire(spec, id, waiting));
            Assert.True(await spec.WasPublished<InvokeModel>(_ => spec.Harness.Published.Select<InvokeModel>().Count(x => x.Context.Message.RequestId == id) == i + 1),
                $"wait {i}: attempt 1 was not dispatched again");
            await spec.InState(id, m => m.Pending);
        }

        // A real failure afterwards is attempt 1's, and the next one is attempt 2: the budget is untouched.
        await spec.Harness.Bus.Publish(spec.Failed(id, 1, FailureKind.Transient, 500));
        var retry = await spec.InState(id, m => m.RetryScheduled);
        Assert.Equal(1, retry!.Attempt);
        Assert.Equal(1, Assert.Single(retry.Attempts).Attempt);
        Assert.Equal(nameof(FailureKind.Transient), retry.FailureKind);
        await spec.Harness.Bus.Publish(Fire(spec, id, retry));
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == id && m.Attempt == 2));
        Assert.Empty(await spec.PublishedOnceSettled<InferenceFailed>(m => m.RequestId == id));
    }

    [Fact]
    public async Task Should_ignore_a_circuit_open_report_once_the_same_attempt_has_started()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        const string id = "open-6";
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request(id));
        await spec.InState(id, m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Started(id, 1));
        await spec.InState(id, m => m.Processing);
        // The report of an earlier dispatch of attempt 1, delivered again: the attempt now running is not touched.
        await spec.Harness.Bus.Publish(CircuitOpen(spec, id, 1, spec.Now.AddSeconds(5)));
        await spec.Settle();

        var saga = await spec.InState(id, m => m.Processing);
        Assert.NotNull(saga);
        Assert.Null(saga.RetryToken);
        // The running attempt's start-to-close timeout, untouched.
        Assert.Equal(spec.Now.UtcDateTime + new TimeoutOptions().StartToCloseTimeout, saga.AttemptTimeoutAt);
        Assert.Equal(1, spec.Harness.Published.Select<InvokeModel>().Count(m => m.Context.Message.RequestId == id));
    }

    [Fact]
    public async Task Should_fail_with_DeadlineExceeded_when_the_half_open_time_is_after_the_deadline()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        const string id = "open-4";
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request(id) with { Deadline = spec.Now.AddSeconds(30) });
        await spec.InState(id, m => m.Pending);
        await spec.Harness.Bus.Publish(CircuitOpen(spec, id, 1, spec.Now.AddSeconds(60)));

        var failed = await spec.InState(id, m => m.Failed);
        Assert.NotNull(failed);
        Assert.Equal(nameof(FailureKind.DeadlineExceeded), failed.FailureKind);
        Assert.Contains("after the deadline", failed.Reason, StringComparison.Ordinal);
        Assert.True(await spec.WasPublished<InferenceFailed>(m => m.RequestId == id && m.Kind == FailureKind.DeadlineExceeded));
    }

    [Fact]
    public async Task Should_hold_a_paused_request_and_send_the_same_attempt_on_resume()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        const string id = "open-5";
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request(id));
        await spec.InState(id, m => m.Pending);
        await spec.Harness.Bus.Publish(new PauseInference { RequestId = id });
        await spec.InState(id, m => m.Paused);
        await spec.Harness.Bus.Publish(CircuitOpen(spec, id, 1, spec.Now.AddSeconds(1)));
        await Eventually.Until(async () => (await spec.InState(id, m => m.Paused))?.FailureKind, kind => kind == nameof(FailureKind.CircuitOpen),
            TimeSpan.FromSeconds(5), "the paused request should record the circuit-open wait");

        await spec.Harness.Bus.Publish(new ResumeInference { RequestId = id });
        Assert.True(await spec.WasPublished<InvokeModel>(_ => spec.Harness.Published.Select<InvokeModel>().Count(x => x.Context.Message.RequestId == id) == 2),
            "resume should dispatch again");
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>(m => m.RequestId == id && m.Attempt == 2));
    }
}
