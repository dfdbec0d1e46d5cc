using System.Text.Json;
using Orchestrator.Contracts;
using Orchestrator.Submission;

namespace Orchestrator.Tests.Validation;

public sealed class SubmitRequestParserSpecs
{
    static (InferenceRequested? Request, string Errors) Parse(string json, string? key = null)
    {
        using var doc = JsonDocument.Parse(json);
        var (request, errors) = SubmitRequestParser.Parse(doc.RootElement, key);
        return (request, string.Join("; ", errors));
    }

    [Fact]
    public void Should_read_string_content_and_top_level_parameters()
    {
        var (request, errors) = Parse("""
            {"requestId":"req-001","model":"sim","messages":[{"role":"user","content":"Hello"}],
             "temperature":0.5,"maxTokens":64,"topP":0.9,"stop":"END","metadata":{"team":"search"}}
            """);
        Assert.Equal("", errors);
        Assert.NotNull(request);
        Assert.Equal("req-001", request.RequestId);
        Assert.Equal("Hello", request.Messages[0].Content[0].Text);
        Assert.Equal(0.5, request.Parameters!.Temperature);
        Assert.Equal(64, request.Parameters.MaxTokens);
        Assert.Equal(["END"], request.Parameters.Stop!);
        Assert.Equal("search", request.Metadata!["team"]);
    }

    [Fact]
    public void Should_read_openai_style_parts()
    {
        var (request, errors) = Parse("""
            {"model":"sim","messages":[{"role":"user","content":[{"type":"text","text":"What is it?"},{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}
            """);
        Assert.Equal("", errors);
        Assert.Equal(ContentPart.ImageUrlType, request!.Messages[0].Content[1].Type);
        Assert.Equal("https://example.com/cat.png", request.Messages[0].Content[1].ImageUrl);
        Assert.StartsWith("req-", request.RequestId, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_take_the_idempotency_key_as_the_request_id() =>
        Assert.Equal("key-7", Parse("""{"model":"sim","messages":[{"role":"user","content":"x"}]}""", "key-7").Request!.RequestId);

    [Theory]
    [InlineData("""{"model":"sim"}""", "messages: messages is required")]
    [InlineData("""{"model":"sim","messages":"hi"}""", "messages must be an array")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":42}]}""", "content must be a string or an array of parts")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"temperature":"hot"}""", "temperature must be a number")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"maxTokens":1.5}""", "maxTokens must be an integer")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"deadline":"soon"}""", "deadline must be an ISO-8601 timestamp")]
    [InlineData("""[1,2]""", "the body must be a JSON object")]
    public void Should_refuse_malformed_fields(string json, string reason)
    {
        var (request, errors) = Parse(json);
        Assert.Null(request);
        Assert.Contains(reason, errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_read_the_requests_own_retry_policy()
    {
        var (request, errors) = Parse("""
            {"model":"sim","messages":[{"role":"user","content":"Hi"}],
             "retry":{"maximumAttempts":3,"initialIntervalMs":120000,"backoffCoefficient":1.5,"maximumIntervalMs":600000}}
            """);
        Assert.Equal("", errors);
        Assert.Equal(new RetryPolicyOverride { MaximumAttempts = 3, InitialIntervalMs = 120_000, BackoffCoefficient = 1.5, MaximumIntervalMs = 600_000 },
            request!.Retry);
        Assert.Null(Parse("""{"model":"sim","messages":[{"role":"user","content":"Hi"}]}""").Request!.Retry);
    }

    [Theory]
    [InlineData("\"fast\"", "retry: retry must be an object")]
    [InlineData("{\"initialIntervalMs\":\"soon\"}", "retry.initialIntervalMs: retry.initialIntervalMs must be an integer")]
    [InlineData("{\"backoffCoefficient\":\"double\"}", "retry.backoffCoefficient: retry.backoffCoefficient must be a number")]
    public void Should_refuse_a_retry_policy_of_the_wrong_shape_field_by_field(string retry, string expected)
    {
        var (request, errors) = Parse($$"""{"model":"sim","messages":[{"role":"user","content":"Hi"}],"retry":{{retry}}}""");
        Assert.Null(request);
        Assert.StartsWith(expected, errors, StringComparison.Ordinal);
    }

    /// <summary>Ranges are the input gate's, one rule for the API and the bus (InputGateSpecs); the API runs both.</summary>
    [Theory]
    [InlineData("{\"initialIntervalMs\":-5}", "retry.initialIntervalMs: retry.initialIntervalMs must be at least 0 (got -5)")]
    [InlineData("{\"backoffCoefficient\":0.5}", "retry.backoffCoefficient: retry.backoffCoefficient must be a finite number, at least 1 (got 0.5)")]
    [InlineData("{\"maximumAttempts\":-1}", "retry.maximumAttempts: retry.maximumAttempts must be at least 0 (unlimited, up to the server's cap) (got -1)")]
    [InlineData("{\"maximumIntervalMs\":-1}", "retry.maximumIntervalMs: retry.maximumIntervalMs must be at least 0 (got -1)")]
    public void Should_refuse_a_retry_policy_out_of_range_through_the_input_gate(string retry, string expected)
    {
        var (request, errors) = Parse($$"""{"model":"sim","messages":[{"role":"user","content":"Hi"}],"retry":{{retry}}}""");
        Assert.Equal("", errors);
        Assert.StartsWith(expected, string.Join("; ", InputGate.Check(request!, new ValidationOptions())), StringComparison.Ordinal);
    }
}
