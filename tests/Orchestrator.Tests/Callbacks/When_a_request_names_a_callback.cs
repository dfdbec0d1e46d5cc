using System.Text.Json;
using Orchestrator.Contracts;
using Orchestrator.Submission;
using Orchestrator.Tests.StateMachines;

namespace Orchestrator.Tests.Callbacks;

/// <summary>The callback on both doors: read from the JSON alike, and a refused URL fails a bus request naming the field.</summary>
public sealed class When_a_request_names_a_callback
{
    [Fact]
    public void Should_read_the_callback_url_from_the_api_body_and_the_bus_message_alike()
    {
        const string json = """
            {"requestId":"req-cb","model":"sim","messages":[{"role":"user","content":"Hello"}],"callback":{"url":"https://example.com/hook"}}
            """;
        using var doc = JsonDocument.Parse(json);
        var (request, errors) = RequestReader.ReadSubmission(doc.RootElement, null);
        Assert.Empty(errors);
        Assert.Equal("https://example.com/hook", request!.Callback!.Url);

        var (fromBus, unnamed) = RequestReader.ReadMessage(doc.RootElement);
        Assert.Null(unnamed);
        Assert.Equal("https://example.com/hook", fromBus!.Callback!.Url);
        Assert.Empty(RequestReader.ProblemsOf(fromBus));
    }

    [Theory]
    [InlineData("\"callback\":\"https://example.com/hook\"", "callback: expected an object, e.g. {\"url\":\"https://example.com/hook\"} (got a string)")]
    [InlineData("\"callback\":{}", "callback.url: a callback needs a url")]
    [InlineData("\"callback\":{\"url\":1}", "callback.url: expected a string (got a number)")]
    [InlineData("\"callback\":{\"url\":\"https://example.com\",\"secret\":\"x\"}", "callback.secret: unknown field; callback takes url")]
    public void Should_refuse_a_callback_of_the_wrong_shape_naming_the_field(string field, string expected)
    {
        using var doc = JsonDocument.Parse($$"""{"model":"sim","messages":[{"role":"user","content":"Hello"}],{{field}}}""");
        var (request, errors) = RequestReader.ReadSubmission(doc.RootElement, null);
        Assert.Null(request);
        Assert.Equal(expected, Assert.Single(errors).ToString());
    }

    [Fact]
    public async Task Should_fail_a_bus_request_whose_callback_is_refused_with_InvalidInput_naming_callback_url()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        await spec.Harness.Bus.Publish(SagaSpecHarness.Request("req-cb-refused") with { Callback = new CallbackTarget { Url = "https://169.254.169.254/" } });

        var saga = await spec.InState("req-cb-refused", m => m.Failed);
        Assert.NotNull(saga);
        Assert.Equal(nameof(FailureKind.InvalidInput), saga.FailureKind);
        // The harness sets no signing secret: that is the first refusal, before any address rule.
        Assert.Equal("callback.url: this orchestrator sends no callbacks: Orchestrator:Callbacks:SigningSecret is not set", saga.Reason);
        Assert.Empty(await spec.PublishedOnceSettled<InvokeModel>());
    }
}
