using MassTransit.Testing;
using Orchestrator.Contracts;

namespace Orchestrator.Tests.StateMachines;

public sealed class When_a_request_is_submitted
{
    [Fact]
    public async Task Should_be_pending_and_dispatch_the_first_attempt()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-001"));

        var saga = await spec.InState("req-001", m => m.Pending);
        Assert.NotNull(saga);
        Assert.Equal(1, saga.Attempt);
        Assert.Equal("req-001", saga.RequestId);
        Assert.Equal(64, saga.PayloadHash.Length);
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "req-001" && m.Attempt == 1));
        var invoke = Assert.Single(await spec.PublishedOnceSettled<InvokeModel>());
        Assert.Equal("Hello", Assert.Single(Assert.Single(invoke.Messages).Content).Text);
    }

    [Fact]
    public async Task Should_create_one_saga_and_one_dispatch_when_submitted_twice()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-dup"));
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-dup"));
        Assert.NotNull(await spec.InState("req-dup", m => m.Pending));
        await spec.Settle();

        Assert.Equal(2, spec.Harness.Consumed.Select<InferenceRequested>().Count());
        Assert.Single(spec.Saga.Sagas.Select(x => x.RequestId == "req-dup"));
        Assert.Single(await spec.PublishedOnceSettled<InvokeModel>());
        Assert.Equal(0, spec.Metrics.IllegalEvents);
    }

    [Fact]
    public async Task Should_fail_with_InvalidInput_and_never_dispatch_when_the_input_is_bad()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var bad = SagaSpecHarness.Request("req-bad") with { Model = "no-such-model", Messages = [] };
        await spec.Harness.Bus.Publish(bad);

        var saga = await spec.InState("req-bad", m => m.Failed);
        Assert.NotNull(saga);
        Assert.Equal(nameof(FailureKind.InvalidInput), saga.FailureKind);
        Assert.Contains("unknown model 'no-such-model'", saga.Reason, StringComparison.Ordinal);
        Assert.Contains("at least one message is required", saga.Reason, StringComparison.Ordinal);
        Assert.True(await spec.WasPublished<InferenceFailed>(m => m.Kind == FailureKind.InvalidInput));
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>());
    }

    /// <summary>The API refuses the same policy with 400; from the bus it is the request's permanent failure, not a silent clamp.</summary>
    [Fact]
    public async Task Should_fail_with_InvalidInput_when_its_own_retry_policy_means_nothing()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-bad-retry") with
        {
            Retry = new RetryPolicyOverride { InitialIntervalMs = -100, BackoffCoefficient = 0.5 },
        });

        var saga = await spec.InState("req-bad-retry", m => m.Failed);
        Assert.NotNull(saga);
        Assert.Equal(nameof(FailureKind.InvalidInput), saga.FailureKind);
        Assert.Contains("retry.initialIntervalMs must be at least 0 (got -100)", saga.Reason, StringComparison.Ordinal);
        Assert.Contains("retry.backoffCoefficient must be a finite number, at least 1 (got 0.5)", saga.Reason, StringComparison.Ordinal);
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>());
    }
}
