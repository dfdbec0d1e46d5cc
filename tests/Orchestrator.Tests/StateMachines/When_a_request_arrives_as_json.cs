using System.Net.Mime;
using MassTransit;
using MassTransit.Serialization;
using MassTransit.Testing;
using Orchestrator.Contracts;
using Orchestrator.Submission;

namespace Orchestrator.Tests.StateMachines;

/// <summary>
/// The bus door, fed the JSON another language's client publishes: the OpenAI shape runs, and every message that names
/// a request gets an outcome, whatever else is wrong with it.
/// </summary>
public sealed class When_a_request_arrives_as_json
{
    static readonly Guid Envelope = Guid.NewGuid();

    /// <summary>Publishes <paramref name="message"/> as the envelope's message, exactly as written.</summary>
    static Task PublishRaw(SagaSpecHarness spec, string message) => PublishBody(spec,
        $$"""{"messageId":"{{Guid.NewGuid()}}","messageType":["urn:message:Orchestrator.Contracts:InferenceRequested"],"message":{{message}}}""");

    static Task PublishBody(SagaSpecHarness spec, string body) =>
        spec.Harness.Bus.Publish(new InferenceRequested { RequestId = "placeholder", Model = "", Messages = [] },
            context => context.Serializer = new CopyBodySerializer(new ContentType("application/vnd.masstransit+json"), new StringMessageBody(body)));

    [Fact]
    public async Task Should_run_the_openai_shape_with_string_content_and_top_level_parameters()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await PublishRaw(spec, """
            {"requestId":"json-plain","model":"sim","messages":[{"role":"user","content":"hello"}],"temperature":0.2,"max_tokens":64,"seed":9}
            """);

        Assert.NotNull(await spec.InState("json-plain", m => m.Pending));
        Assert.True(await spec.WasPublished<InvokeModel>(m => m.RequestId == "json-plain"));
        var invoke = spec.Harness.Published.Select<InvokeModel>().Single(m => m.Context.Message.RequestId == "json-plain").Context.Message;
        Assert.Equal("hello", Assert.Single(Assert.Single(invoke.Messages).Content).Text);
        Assert.Equal(new GenerationParameters { Temperature = 0.2, MaxTokens = 64, Seed = 9 }, invoke.Parameters);
    }

    [Theory]
    [InlineData("json-types", """{"requestId":"json-types","model":"sim","messages":[{"role":"user","content":42}]}""", "messages[0].content: expected a string or an array of parts (got a number)")]
    [InlineData("json-unknown", """{"requestId":"json-unknown","model":"sim","messages":[{"role":"user","content":"hi"}],"user":"u-7"}""", "user: unknown field")]
    [InlineData("json-params", """{"requestId":"json-params","model":"sim","messages":"hi","parameters":{"temperature":"hot","maxTokens":[1,2]}}""", "messages: expected an array of messages (got a string); parameters.temperature: expected a number (got a string); parameters.maxTokens: expected a whole number (got an array)")]
    public async Task Should_fail_a_named_request_with_InvalidInput_and_publish_the_outcome(string id, string message, string reason)
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await PublishRaw(spec, message);

        var saga = await spec.InState(id, m => m.Failed);
        Assert.NotNull(saga);
        Assert.Equal(nameof(FailureKind.InvalidInput), saga.FailureKind);
        Assert.StartsWith(reason, saga.Reason, StringComparison.Ordinal);
        Assert.True(await spec.WasPublished<InferenceFailed>(m => m.RequestId == id && m.Kind == FailureKind.InvalidInput && m.Reason.StartsWith(reason, StringComparison.Ordinal)));
        Assert.False(await spec.Harness.Published.Any<InvokeModel>());
    }

    [Theory]
    [InlineData("""{"messageId":"MARK","messageType":["urn:message:Orchestrator.Contracts:InferenceRequested"],"message":{"model":"sim","messages":[]}}""", "the message has no requestId, so it cannot be tied to a request")]
    [InlineData("""{"messageId":"MARK","messageType":["urn:message:Orchestrator.Contracts:InferenceRequested"],"message":{"requestId":5}}""", "the message's requestId must be a string (got a number), so it cannot be tied to a request")]
    [InlineData("""{"messageId":"MARK","messageType":["urn:message:Orchestrator.Contracts:InferenceRequested"]}""", "the envelope has no \"message\"")]
    [InlineData("""{"messageId":5,"messageType":["urn:message:Orchestrator.Contracts:InferenceRequested"],"message":{"requestId":"x"}}""", "the envelope's messageId must be a string (got a number)")]
    [InlineData("""{"messageId":"MARK","requestId":"req-1","messageType":["urn:message:Orchestrator.Contracts:InferenceRequested"],"message":{"requestId":"x"}}""", "the envelope's requestId must be a GUID (got 'req-1')")]
    [InlineData("""{{{""", "the body is not JSON: ")]
    [InlineData("""[1,2,3]""", "the body is an array, not a MassTransit envelope")]
    public async Task Should_refuse_a_message_that_names_no_request_with_a_reason_of_its_own(string body, string reason)
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await PublishBody(spec, body.Replace("MARK", Guid.NewGuid().ToString(), StringComparison.Ordinal));

        Assert.True(await Eventually.Holds(() => spec.Harness.Published.Select<ReceiveFault>().Any(), TimeSpan.FromSeconds(5)), "no receive fault was published");
        var fault = spec.Harness.Published.Select<ReceiveFault>().First().Context.Message;
        var exception = Assert.Single(fault.Exceptions);
        Assert.Equal(typeof(UncorrelatableMessageException).FullName, exception.ExceptionType);
        Assert.StartsWith(reason, exception.Message, StringComparison.Ordinal);
        Assert.Empty(spec.Saga.Sagas.Select(_ => true));
    }

    [Fact]
    public async Task Should_fail_a_new_request_whose_deadline_has_passed_at_once_without_a_dispatch()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("json-late") with { Deadline = spec.Now.AddSeconds(-1) });

        var saga = await spec.InState("json-late", m => m.Failed);
        Assert.NotNull(saga);
        Assert.Equal(nameof(FailureKind.DeadlineExceeded), saga.FailureKind);
        Assert.StartsWith("the deadline 2026-11-01T11:59:59.000Z has already passed (it is 2026-11-01T12:00:00.000Z); no attempt was made", saga.Reason, StringComparison.Ordinal);
        Assert.True(await spec.WasPublished<InferenceFailed>(m => m.RequestId == "json-late" && m.Kind == FailureKind.DeadlineExceeded && m.Attempts == 0));
        Assert.False(await spec.Harness.Published.Any<InvokeModel>());
        Assert.Equal(0, saga.Attempt);
    }
}
