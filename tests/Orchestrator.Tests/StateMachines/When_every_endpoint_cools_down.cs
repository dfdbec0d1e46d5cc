using Orchestrator.Contracts;
using Orchestrator.StateMachines;

namespace Orchestrator.Tests.StateMachines;

/// <summary>
/// The orchestrator heard that every endpoint of the model is cooling down: it holds the dispatch instead of sending
/// work a worker could only refuse. The row says until when and why; no attempt is spent; when the hold ends the same
/// attempt is dispatched.
/// </summary>
public sealed class When_every_endpoint_cools_down
{
    [Fact]
    public async Task Should_hold_the_dispatch_on_the_row_and_send_the_same_attempt_when_the_cooldown_ends()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var until = spec.CoolDownTheOnlyEndpoint(TimeSpan.FromSeconds(1.5));

        const string id = "held-1";
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request(id));
        var held = await spec.InState(id, m => m.RetryScheduled);
        Assert.NotNull(held);
        Assert.Equal(0, held.Attempt); // none dispatched: the held one was given back and goes next
        Assert.Equal(1, Orchestrator.Api.RequestView.From(held, withAttempts: false).NextAttempt);
        Assert.Equal(until.UtcDateTime, held.HeldUntil);
        Assert.Equal(until.UtcDateTime, held.NextAttemptAt);
        Assert.StartsWith("every endpoint of model 'sim' is cooling down: only until", held.HeldReason, StringComparison.Ordinal);
        Assert.Contains("Retry-After 1.5 s, seen by w1", held.HeldReason, StringComparison.Ordinal);
        Assert.Null(held.FailureKind); // nothing failed
        Assert.Null(held.AttemptTimeoutAt);
        Assert.Empty(held.Attempts);
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>(m => m.RequestId == id));

        // The poller fires the row's timer once the cooldown is over: attempt 1, the same number, goes out.
        spec.Clock.SetUtcNow(until);
        await spec.Harness.Bus.Publish(new RetryDue
        {
            RequestId = id,
            Token = held.RetryToken!.Value,
            DueAt = until,
            FiredAt = spec.Now,
            Source = "poller",
        });
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == id && m.Attempt == 1));
        var pending = await spec.InState(id, m => m.Pending);
        Assert.NotNull(pending);
        Assert.Null(pending.HeldUntil);
        Assert.Null(pending.HeldReason);
        Assert.Equal(spec.Now.UtcDateTime + new TimeoutOptions().ScheduleToCloseTimeout, pending.AttemptTimeoutAt);
    }

    [Fact]
    public async Task Should_record_a_workers_circuit_open_refusal_as_a_hold()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        const string id = "held-2";
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request(id));
        await spec.InState(id, m => m.Pending);
        var retryAt = spec.Now.AddSeconds(3);
        await spec.Harness.Bus.Publish(new AttemptFailed
        {
            RequestId = id,
            Attempt = 1,
            WorkerId = "w1",
            Kind = FailureKind.CircuitOpen,
            Cause = "circuit-open",
            Reason = "every endpoint of model 'sim' is open or cooling down (only open until ...)",
            RetryAt = retryAt,
            StartedAt = spec.Now,
            FinishedAt = spec.Now,
        });
        var held = await spec.InState(id, m => m.RetryScheduled);
        Assert.NotNull(held);
        Assert.Equal(retryAt.UtcDateTime, held.HeldUntil);
        Assert.StartsWith("every endpoint of model 'sim' is open", held.HeldReason, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>attempt</c> means one thing in RetryScheduled: the attempts dispatched, after a backoff and on a hold alike;
    /// the next one is always <c>attempt + 1</c>.
    /// </summary>
    [Fact]
    public void Should_count_a_held_attempt_only_once_it_is_dispatched()
    {
        var now = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
        var saga = InferenceRequestState.Create(SagaSpecHarness.Request("count-1"), now);
        saga.Accept(TimeSpan.FromMinutes(5));
        saga.RecordFailure(new AttemptFailed
        {
            RequestId = "count-1",
            Attempt = 1,
            WorkerId = "w",
            Kind = FailureKind.Transient,
            Reason = "HTTP 503",
            StartedAt = now,
            FinishedAt = now,
        });
        saga.EndAttempt(now);
        saga.ScheduleRetry(TimeSpan.FromSeconds(1), now.AddSeconds(1), nameof(FailureKind.Transient), "HTTP 503");
        Assert.Equal(1, saga.Attempt); // backed off: attempt 1 was made

        saga.BeginNextAttempt(now.AddSeconds(1), TimeSpan.FromMinutes(5));
        saga.Hold(now.AddSeconds(30), "cooling down", now.AddSeconds(1));
        Assert.Equal(1, saga.Attempt); // held: attempt 2 waits, still unspent

        saga.BeginNextAttempt(now.AddSeconds(30), TimeSpan.FromMinutes(5));
        Assert.Equal(2, saga.Attempt);
    }

    /// <summary>A row held before held numbers were given back kept its unspent number: it goes out under it, none skipped.</summary>
    [Fact]
    public void Should_dispatch_a_row_held_the_old_way_under_its_own_number()
    {
        var now = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
        var saga = InferenceRequestState.Create(SagaSpecHarness.Request("legacy-1"), now);
        saga.Attempt = 1;
        saga.HeldUntil = now.AddSeconds(5);
        saga.NextAttemptAt = now.AddSeconds(5);
        saga.RetryToken = Guid.NewGuid();

        saga.BeginNextAttempt(now.AddSeconds(5), TimeSpan.FromMinutes(5));
        Assert.Equal(1, saga.Attempt);
        Assert.Null(saga.HeldUntil);
    }
}
