using Orchestrator.Batches;
using Orchestrator.Retries;
using Orchestrator.Submission;

namespace Orchestrator.Tests.Batches;

/// <summary>A batch line is OpenAI's Batch API input line, and its body is what POST /api/requests takes.</summary>
public sealed class BatchLineReaderSpecs
{
    static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly ValidationOptions Validation = new() { Models = ["sim", "gpt-3.5-turbo-0125"] };

    // OpenAI's documented example input line, unchanged.
    const string OpenAiExample = """
        {"custom_id": "request-1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-3.5-turbo-0125", "messages": [{"role": "system", "content": "You are a helpful assistant."},{"role": "user", "content": "Hello world!"}],"max_tokens": 1000}}
        """;

    static BatchLine Read(string text, BatchDefaults? defaults = null) =>
        BatchLineReader.Read(text, 7, "batch-1", defaults ?? new BatchDefaults(null, null), Validation, new RetryPolicyOptions(), Now);

    [Fact]
    public void Should_read_openais_documented_example_line_as_one_request()
    {
        var line = Read(OpenAiExample);

        Assert.Null(line.Error);
        Assert.Equal((7, "request-1"), (line.Line, line.CustomId));
        var request = line.Request!;
        Assert.Equal("batch-1:request-1", request.RequestId);
        Assert.Equal("gpt-3.5-turbo-0125", request.Model);
        Assert.Equal(["system", "user"], request.Messages.Select(m => m.Role));
        Assert.Equal("Hello world!", Assert.Single(request.Messages[1].Content).Text);
        Assert.Equal(1000, request.Parameters!.MaxTokens);
    }

    [Fact]
    public void Should_give_lines_the_batch_deadline_and_priority_unless_they_set_their_own()
    {
        var deadline = Now.AddHours(24);
        var plain = Read(OpenAiExample, new BatchDefaults(deadline, 5));
        Assert.Equal((deadline, 5), (plain.Request!.Deadline, plain.Request.Priority));

        var own = Read("""
            {"custom_id":"c","method":"POST","url":"/v1/chat/completions","body":{"model":"sim","messages":[{"role":"user","content":"x"}],"priority":1,"n":1}}
            """, new BatchDefaults(deadline, 5));
        Assert.Null(own.Error);
        Assert.Equal(1, own.Request!.Priority);
    }

    [Theory]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"n":2}""", "body.n: only n = 1 is supported")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"stream":true}""", "body.stream: unknown field")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"tools":[]}""", "body.tools: unknown field")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"requestId":"mine"}""", "body.requestId: unknown field")]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}""", "body.model: unknown model 'gpt-4o'")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"temperature":3}""", "body.temperature")]
    [InlineData("""{"model":"sim"}""", "body.messages: messages is required")]
    [InlineData("""[]""", "body: the body must be a JSON object")]
    public void Should_refuse_a_body_the_input_gate_refuses_naming_the_field(string body, string expected)
    {
        var line = Read($$"""{"custom_id":"c-1","method":"POST","url":"/v1/chat/completions","body":{{body}}}""");

        Assert.Null(line.Request);
        Assert.Equal("c-1", line.CustomId);
        Assert.Contains(expected, line.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"custom_id":"c","method":"POST","url":"/v1/embeddings","body":{}}""", "unsupported url '/v1/embeddings'")]
    [InlineData("""{"custom_id":"c","method":"GET","url":"/v1/chat/completions","body":{}}""", "unsupported method 'GET'")]
    [InlineData("""{"method":"POST","url":"/v1/chat/completions","body":{}}""", "custom_id is required")]
    [InlineData("""{"custom_id":"","method":"POST","url":"/v1/chat/completions","body":{}}""", "custom_id must be a non-empty string")]
    [InlineData("""{"custom_id":"c","method":"POST","url":"/v1/chat/completions"}""", "body is required")]
    [InlineData("""{"custom_id":"c","method":"POST","url":"/v1/chat/completions","body":{},"extra":1}""", "unknown field extra")]
    [InlineData("""{"custom_id":"c", "method":""", "not valid JSON")]
    [InlineData("""42""", "a line must be a JSON object")]
    public void Should_refuse_a_line_that_is_not_a_chat_completions_batch_line(string text, string expected)
    {
        var line = Read(text);

        Assert.Null(line.Request);
        Assert.Contains(expected, line.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_line_whose_deadline_has_passed()
    {
        var line = Read(OpenAiExample, new BatchDefaults(Now.AddSeconds(-1), null));

        Assert.Contains("body.deadline: the deadline", line.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("24h", 24 * 3600)]
    [InlineData("90m", 90 * 60)]
    [InlineData("3600s", 3600)]
    [InlineData("2d", 2 * 86400)]
    public void Should_read_a_completion_window(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), BatchesEndpoints.ParseWindow(text));

    [Theory]
    [InlineData("24")]
    [InlineData("h")]
    [InlineData("0h")]
    [InlineData("-1h")]
    [InlineData("1w")]
    [InlineData("99999999999d")]
    public void Should_refuse_a_completion_window_it_cannot_read(string text) =>
        Assert.Null(BatchesEndpoints.ParseWindow(text));
}
