using Orchestrator.Contracts;

namespace Orchestrator.Tests.StateMachines;

public sealed class When_an_answer_is_not_confident
{
    static async Task<SagaSpecHarness> HeldForReview(string id)
    {
        var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request(id));
        await spec.InState(id, m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Succeeded(id, 1, confidence: 0.3));
        var saga = await spec.InState(id, m => m.AwaitingReview);
        Assert.NotNull(saga);
        Assert.StartsWith("held for review: confidence 0.3 below the threshold 0.5", saga.Decision, StringComparison.Ordinal);
        Assert.Equal("Hi there", saga.Output);
        Assert.Empty(await spec.PublishedOnceSettled<InferenceSucceeded>());
        return spec;
    }

    [Fact]
    public async Task Should_succeed_when_an_operator_approves()
    {
        await using var spec = await HeldForReview("review-ok");
        await spec.Harness.Bus.Publish(new ApproveInference { RequestId = "review-ok", Reviewer = "ana" });
        var saga = await spec.InState("review-ok", m => m.Succeeded);
        Assert.NotNull(saga);
        Assert.Contains("approved by ana", saga.Decision, StringComparison.Ordinal);
        Assert.True(await spec.WasPublished<InferenceSucceeded>(m => m.RequestId == "review-ok"));
    }

    [Fact]
    public async Task Should_fail_as_Rejected_when_an_operator_rejects()
    {
        await using var spec = await HeldForReview("review-no");
        await spec.Harness.Bus.Publish(new RejectInference { RequestId = "review-no", Reason = "made up facts" });
        var saga = await spec.InState("review-no", m => m.Failed);
        Assert.NotNull(saga);
        Assert.Equal(nameof(FailureKind.Rejected), saga.FailureKind);
        Assert.Equal("rejected in review: made up facts", saga.Reason);
        Assert.True(await spec.WasPublished<InferenceFailed>(m => m.Kind == FailureKind.Rejected));
    }

    [Fact]
    public async Task Should_ask_the_model_again_when_rejected_with_retry()
    {
        await using var spec = await HeldForReview("review-again");
        await spec.Harness.Bus.Publish(new RejectInference { RequestId = "review-again", Retry = true });
        await spec.Settle();
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "review-again" && m.Attempt == 2));
        var saga = await spec.InState("review-again", m => m.Pending);
        Assert.Equal(2, saga!.Attempt);
        Assert.Null(saga.Output);
    }

    [Fact]
    public async Task Should_pass_a_confident_answer_straight_to_Succeeded()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("review-skip"));
        await spec.InState("review-skip", m => m.Pending);
        await spec.Harness.Bus.Publish(spec.Succeeded("review-skip", 1, confidence: 0.93));
        var saga = await spec.InState("review-skip", m => m.Succeeded);
        Assert.StartsWith("passed: confidence 0.93", saga!.Decision, StringComparison.Ordinal);
    }
}
