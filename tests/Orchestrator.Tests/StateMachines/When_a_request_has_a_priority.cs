using Orchestrator.Contracts;
using Orchestrator.StateMachines;

namespace Orchestrator.Tests.StateMachines;

public sealed class When_a_request_has_a_priority
{
    [Fact]
    public async Task Should_dispatch_the_first_attempt_and_the_retry_with_the_request_priority()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("prio-retry") with { Priority = 5 });
        Assert.Equal(5, (await spec.InState("prio-retry", m => m.Pending))!.Priority);
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "prio-retry" && m.Attempt == 1 && m.Priority == 5),
            "attempt 1 was not dispatched with priority 5");

        await spec.Harness.Bus.Publish(spec.Failed("prio-retry", 1, FailureKind.Transient, 503));
        var scheduled = await spec.InState("prio-retry", m => m.RetryScheduled);
        Assert.NotNull(scheduled);
        await spec.Harness.Bus.Publish(new RetryDue
        {
            RequestId = "prio-retry",
            Token = scheduled.RetryToken!.Value,
            DueAt = spec.Now,
            FiredAt = spec.Now,
            Source = "poller",
        });

        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "prio-retry" && m.Attempt == 2),
            "attempt 2 was never dispatched");
        var invokes = await spec.PublishedOnceSettled<InvokeModel>(m => m.RequestId == "prio-retry");
        Assert.Equal([(1, 5), (2, 5)], invokes.Select(m => (m.Attempt, m.Priority)).OrderBy(x => x.Attempt));
    }

    [Fact]
    public async Task Should_run_at_the_configured_default_when_the_request_names_none()
    {
        await using var spec = await SagaSpecHarness.StartAsync(validation: v => v.DefaultPriority = 2);
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("prio-default"));
        Assert.Equal(2, (await spec.InState("prio-default", m => m.Pending))!.Priority);
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "prio-default" && m.Priority == 2),
            "the invoke did not carry the configured default priority 2");
    }

    [Fact]
    public async Task Should_fail_an_out_of_range_priority_as_invalid_input_without_dispatching()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("prio-bad") with { Priority = 6 });

        var failed = await spec.InState("prio-bad", m => m.Failed);
        Assert.NotNull(failed);
        Assert.Equal(nameof(FailureKind.InvalidInput), failed.FailureKind);
        Assert.Equal("priority: must be between 1 and 5 (got 6)", failed.Reason);
        Assert.True(await spec.WasPublished<InferenceFailed>(m => m.RequestId == "prio-bad" && m.Kind == FailureKind.InvalidInput),
            "no InvalidInput outcome was published");
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>(m => m.RequestId == "prio-bad"));
    }
}
