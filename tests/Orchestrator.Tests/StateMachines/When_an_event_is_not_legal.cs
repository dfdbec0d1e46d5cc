using Orchestrator.Contracts;
using Orchestrator.StateMachines;
using Orchestrator.Submission;

namespace Orchestrator.Tests.StateMachines;

public sealed class When_an_event_is_not_legal
{
    [Fact]
    public async Task Should_ignore_a_success_after_the_request_failed_and_count_it()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-late"));
        await spec.InState("req-late", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Failed("req-late", 1));
        await spec.InState("req-late", m => m.Failed);

        await spec.Harness.Bus.Publish(spec.Succeeded("req-late", 1));
        await spec.Settle();

        var saga = await spec.InState("req-late", m => m.Failed);
        Assert.NotNull(saga);
        Assert.Null(saga.Output);
        Assert.Equal(AttemptOutcome.Failed, Assert.Single(saga.Attempts).Outcome);
        Assert.Equal(1, spec.Metrics.IllegalEvents);
        Assert.Empty(await spec.PublishedOnceSettled<InferenceSucceeded>());
        Assert.Single(spec.Harness.Published.Select<InferenceFailed>());
    }

    [Fact]
    public async Task Should_ignore_a_failure_after_the_request_succeeded_and_count_it()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-done"));
        await spec.InState("req-done", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Succeeded("req-done", 1));
        await spec.InState("req-done", m => m.Succeeded);

        await spec.Harness.Bus.Publish(spec.Failed("req-done", 1, FailureKind.Transient, 503));
        await spec.Settle();

        var saga = await spec.InState("req-done", m => m.Succeeded);
        Assert.NotNull(saga);
        Assert.Null(saga.FailureKind);
        Assert.Equal(1, spec.Metrics.IllegalEvents);
        Assert.Empty(await spec.PublishedOnceSettled<InferenceFailed>());
    }

    [Fact]
    public async Task Should_publish_the_same_outcome_again_when_its_result_is_redelivered()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-again"));
        await spec.InState("req-again", m => m.Pending);
        var result = spec.Succeeded("req-again", 1);
        await spec.Harness.Bus.Publish(result);
        await spec.InState("req-again", m => m.Succeeded);
        await spec.Settle();

        await spec.Harness.Bus.Publish(result);
        await Eventually.Until(() => spec.Metrics.OutcomesRepublished, n => n > 0, TimeSpan.FromSeconds(5), "the outcome republished");

        Assert.Equal(1, spec.Metrics.OutcomesRepublished);
        Assert.Equal(0, spec.Metrics.IllegalEvents);
        // The harness keys published messages by MessageId: the republished outcome is the same message.
        Assert.Equal(RequestIdentity.OutcomeMessageId("req-again", 1), Assert.Single(spec.Harness.Published.Select<InferenceSucceeded>()).Context.MessageId);
    }

    [Fact]
    public async Task Should_ignore_a_result_for_another_attempt()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-stale"));
        await spec.InState("req-stale", m => m.Pending);

        await spec.Harness.Bus.Publish(spec.Succeeded("req-stale", 7));
        await spec.Settle();

        var saga = await spec.InState("req-stale", m => m.Pending);
        Assert.NotNull(saga);
        Assert.Empty(saga.Attempts);
        Assert.Empty(await spec.PublishedOnceSettled<InferenceSucceeded>());
    }

    [Fact]
    public async Task Should_discard_worker_events_for_an_unknown_request()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(spec.Succeeded("req-nobody", 1));
        await spec.Settle();

        Assert.Empty(spec.Saga.Sagas.Select(_ => true));
        Assert.Empty(await spec.PublishedOnceSettled<InferenceSucceeded>());
    }
}
