using Orchestrator.Contracts;
using Orchestrator.StateMachines;

namespace Orchestrator.Tests.StateMachines;

/// <summary>
/// The API inserts a request already accepted and publishes its first attempt itself. That must be the very
/// transition the saga takes for a submission from the bus, so the two ways in cannot drift apart.
/// </summary>
public sealed class When_the_api_admits_a_request
{
    [Fact]
    public async Task Should_take_the_transition_and_send_the_command_a_bus_submission_gets()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var request = SagaSpecHarness.Request("adm-bus") with { Priority = 4, Deadline = spec.Now.AddMinutes(5) };
        await spec.Harness.Bus.Publish(request);
        var viaBus = await spec.InState("adm-bus", m => m.Pending);
        Assert.NotNull(viaBus);
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "adm-bus"));
        var dispatched = spec.Harness.Published.Select<InvokeModel>().Single().Context.Message;

        var viaApi = InferenceRequestState.Create(request with { RequestId = "adm-api" }, spec.Now.UtcDateTime);
        var invocation = spec.Machine.Admit(viaApi);

        Assert.Equal(RequestStates.Pending, viaApi.CurrentState);
        Assert.Equal(viaBus.CurrentState, viaApi.CurrentState);
        Assert.Equal(1, viaApi.Attempt);
        Assert.Equal(viaBus.AttemptTimeoutAt - viaBus.UpdatedAt, viaApi.AttemptTimeoutAt - viaApi.UpdatedAt);
        Assert.Equal(viaBus.Deadline, viaApi.Deadline);
        Assert.Equal(viaBus.Priority, viaApi.Priority);
        Assert.Null(viaApi.FailureKind);

        Assert.NotNull(invocation);
        Assert.Equal("adm-api", invocation.RequestId);
        Assert.Equal(dispatched.Attempt, invocation.Attempt);
        Assert.Equal(dispatched.Model, invocation.Model);
        Assert.Equal(dispatched.Priority, invocation.Priority);
        Assert.Equal(dispatched.Deadline, invocation.Deadline);
        Assert.Equal(Assert.Single(Assert.Single(dispatched.Messages).Content).Text, Assert.Single(Assert.Single(invocation.Messages).Content).Text);
    }

    [Fact]
    public async Task Should_give_a_request_without_a_deadline_the_default_one()
    {
        await using var spec = await SagaSpecHarness.StartAsync(t => t.DefaultDeadline = TimeSpan.FromMinutes(7));
        var saga = InferenceRequestState.Create(SagaSpecHarness.Request("adm-deadline"), spec.Now.UtcDateTime);

        spec.Machine.Admit(saga);

        Assert.Equal(saga.CreatedAt + TimeSpan.FromMinutes(7), saga.Deadline);
    }

    [Fact]
    public async Task Should_hold_the_first_attempt_instead_of_sending_it_while_every_endpoint_of_its_model_cools_down()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var until = spec.CoolDownTheOnlyEndpoint(TimeSpan.FromSeconds(30));
        var saga = InferenceRequestState.Create(SagaSpecHarness.Request("adm-held"), spec.Now.UtcDateTime);

        var invocation = spec.Machine.Admit(saga);

        Assert.Null(invocation);
        Assert.Equal(RequestStates.RetryScheduled, saga.CurrentState);
        Assert.Equal(0, saga.Attempt);
        Assert.Equal(until.UtcDateTime, saga.HeldUntil);
        Assert.Equal(until.UtcDateTime, saga.NextAttemptAt);
        Assert.Contains("cooling down", saga.HeldReason, StringComparison.Ordinal);
    }
}
