using System.Text.Json;
using MassTransit.Serialization;
using Orchestrator.Contracts;
using Orchestrator.Submission;

namespace Orchestrator.Tests.Validation;

/// <summary>One reader for both doors: the API's body and the bus message's <c>message</c> read alike.</summary>
public sealed class RequestReaderSpecs
{
    static (InferenceRequested? Request, string Errors) Submit(string json, string? key = null)
    {
        using var doc = JsonDocument.Parse(json);
        var (request, errors) = RequestReader.ReadSubmission(doc.RootElement, key);
        return (request, string.Join("; ", errors));
    }

    static (InferenceRequested? Request, string? Unnamed, string Problems) Message(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var (request, unnamed) = RequestReader.ReadMessage(doc.RootElement);
        return (request, unnamed, request is null ? "" : string.Join("; ", RequestReader.ProblemsOf(request)));
    }

    [Fact]
    public void Should_read_string_content_and_top_level_parameters_on_both_doors()
    {
        const string json = """
            {"requestId":"req-001","model":"sim","messages":[{"role":"user","content":"Hello"}],
             "temperature":0.5,"maxTokens":64,"topP":0.9,"stop":"END","metadata":{"team":"search"}}
            """;
        var (request, errors) = Submit(json);
        Assert.Equal("", errors);
        Assert.NotNull(request);
        Assert.Equal("req-001", request.RequestId);
        Assert.Equal("Hello", Assert.Single(request.Messages[0].Content).Text);
        Assert.Equal(0.5, request.Parameters!.Temperature);
        Assert.Equal(64, request.Parameters.MaxTokens);
        Assert.Equal(0.9, request.Parameters.TopP);
        Assert.Equal(["END"], request.Parameters.Stop!);
        Assert.Equal("search", request.Metadata!["team"]);

        var (fromBus, unnamed, problems) = Message(json);
        Assert.Null(unnamed);
        Assert.Equal("", problems);
        Assert.Equal(RequestPayload.Hash(request), RequestPayload.Hash(fromBus!));
    }

    [Fact]
    public void Should_read_openai_snake_case_parameters_at_the_top_level_and_under_parameters()
    {
        var (top, errors) = Submit("""
            {"model":"sim","messages":[{"role":"user","content":"x"}],
             "top_p":0.8,"max_tokens":100,"seed":42,"presence_penalty":0.5,"frequency_penalty":-0.5,"stop":["a","b"]}
            """);
        Assert.Equal("", errors);
        var nested = Submit("""
            {"model":"sim","messages":[{"role":"user","content":"x"}],
             "parameters":{"topP":0.8,"maxTokens":100,"seed":42,"presencePenalty":0.5,"frequencyPenalty":-0.5,"stop":["a","b"]}}
            """).Request;
        foreach (var parameters in new[] { top!.Parameters!, nested!.Parameters! })
        {
            Assert.Equal(0.8, parameters.TopP);
            Assert.Equal(100, parameters.MaxTokens);
            Assert.Equal(42, parameters.Seed);
            Assert.Equal(0.5, parameters.PresencePenalty);
            Assert.Equal(-0.5, parameters.FrequencyPenalty);
            Assert.Equal(["a", "b"], parameters.Stop!);
        }
        Assert.Equal(RequestPayload.Hash(top), RequestPayload.Hash(nested));
    }

    [Fact]
    public void Should_read_image_parts_in_openai_form_and_in_the_contracts_form()
    {
        var (request, errors) = Submit("""
            {"model":"sim","messages":[{"role":"user","content":[
              {"type":"text","text":"What is it?"},
              {"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"low"}},
              {"type":"image_url","image_url":"https://example.com/b.png"},
              {"type":"image_url","imageUrl":"https://example.com/c.png","detail":"high"}]}]}
            """);
        Assert.Equal("", errors);
        var parts = request!.Messages[0].Content;
        Assert.Equal(ContentPart.FromImageUrl("https://example.com/a.png", "low"), parts[1]);
        Assert.Equal(ContentPart.FromImageUrl("https://example.com/b.png"), parts[2]);
        Assert.Equal(ContentPart.FromImageUrl("https://example.com/c.png", "high"), parts[3]);
    }

    /// <summary>What a .NET service publishes with MassTransit (nulls written, parameters nested) reads back as it was.</summary>
    [Fact]
    public void Should_read_back_the_contract_as_masstransit_serializes_it()
    {
        var sent = new InferenceRequested
        {
            RequestId = "req-dotnet",
            Model = "sim",
            Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText("Hi"), ContentPart.FromImageUrl("https://example.com/a.png", "auto")] }],
            Parameters = new GenerationParameters { Temperature = 0.3, MaxTokens = 50, Seed = 7 },
            Deadline = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero),
            Metadata = new Dictionary<string, string> { ["tenant"] = "acme" },
            Retry = new RetryPolicyOverride { MaximumAttempts = 2 },
            Priority = 4,
            SourceService = "billing",
        };
        var json = JsonSerializer.Serialize(sent, SystemTextJsonMessageSerializer.Options);

        var (read, unnamed, problems) = Message(json);
        Assert.Null(unnamed);
        Assert.Equal("", problems);
        Assert.Equal(JsonSerializer.Serialize(sent), JsonSerializer.Serialize(read));
    }

    [Theory]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"user":"u-1"}""", "user: unknown field; a request takes requestId, model, messages,")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x","name":"bob"}]}""", "messages[0].name: unknown field; messages[0] takes role, content")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":[{"type":"text","text":"x","cache":true}]}]}""", "messages[0].content[0].cache: unknown field")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://e.com/a.png","size":9}}]}]}""", "messages[0].content[0].image_url.size: unknown field; messages[0].content[0].image_url takes url, detail")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"parameters":{"top_k":5}}""", "parameters.top_k: unknown field")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"retry":{"jitter":"full"}}""", "retry.jitter: unknown field")]
    public void Should_refuse_an_unknown_field_by_its_path(string json, string reason)
    {
        var (request, errors) = Submit(json);
        Assert.Null(request);
        Assert.StartsWith(reason, errors, StringComparison.Ordinal);
        Assert.StartsWith(reason, Message(json.Replace("{\"model\"", "{\"requestId\":\"r-1\",\"model\"", StringComparison.Ordinal)).Problems, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"temperature":0.1,"parameters":{"temperature":0.2}}""", "parameters.temperature: temperature is given twice, as temperature and here")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"maxTokens":1,"max_tokens":2}""", "max_tokens: maxTokens is given twice, as maxTokens and max_tokens")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://e.com/a.png","detail":"low"},"detail":"high"}]}]}""", "messages[0].content[0].detail: detail is given twice")]
    public void Should_refuse_a_field_given_twice(string json, string reason)
    {
        var (request, errors) = Submit(json);
        Assert.Null(request);
        Assert.StartsWith(reason, errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"model":"sim"}""", "messages: messages is required")]
    [InlineData("""{"model":"sim","messages":"hi"}""", "messages: expected an array of messages (got a string)")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":42}]}""", "messages[0].content: expected a string or an array of parts (got a number)")]
    [InlineData("""{"model":5,"messages":[{"role":"user","content":"x"}]}""", "model: expected a string (got a number)")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"temperature":"hot"}""", "temperature: expected a number (got a string)")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"maxTokens":1.5}""", "maxTokens: expected a whole number")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"seed":"lucky"}""", "seed: expected a whole number (got a string)")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"deadline":"soon"}""", "deadline: expected an ISO-8601 timestamp")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":[{"text":"x"}]}]}""", "messages[0].content[0].type: a part needs a type")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"detail":"low"}}]}]}""", "messages[0].content[0].image_url.url: an image part needs image_url.url")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"retry":"fast"}""", "retry: expected an object")]
    [InlineData("""{"model":"sim","messages":[{"role":"user","content":"x"}],"metadata":{"n":1}}""", "metadata.n: expected a string (got a number)")]
    [InlineData("""[1,2]""", "$: the body must be a JSON object (got an array)")]
    public void Should_refuse_a_value_of_the_wrong_type_naming_its_path(string json, string reason)
    {
        var (request, errors) = Submit(json);
        Assert.Null(request);
        Assert.StartsWith(reason, errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_take_the_idempotency_key_as_the_request_id_and_generate_one_without()
    {
        Assert.Equal("key-7", Submit("""{"model":"sim","messages":[{"role":"user","content":"x"}]}""", "key-7").Request!.RequestId);
        Assert.StartsWith("req-", Submit("""{"model":"sim","messages":[{"role":"user","content":"x"}]}""").Request!.RequestId, StringComparison.Ordinal);
        Assert.Equal("requestId: requestId and the Idempotency-Key header differ",
            Submit("""{"requestId":"a","model":"sim","messages":[{"role":"user","content":"x"}]}""", "b").Errors);
    }

    [Theory]
    [InlineData("""{"model":"sim","messages":[]}""", "the message has no requestId")]
    [InlineData("""{"requestId":null,"model":"sim"}""", "the message has no requestId")]
    [InlineData("""{"requestId":42,"model":"sim"}""", "the message's requestId must be a string (got a number)")]
    [InlineData("""{"requestId":"","model":"sim"}""", "the message's requestId is empty")]
    [InlineData("""{"requestId":"a","request_id":"b"}""", "the message gives its requestId twice")]
    [InlineData("""["not","an","object"]""", "the envelope's message must be a JSON object with the request's fields (got an array)")]
    public void Should_say_why_a_message_names_no_request(string json, string reason)
    {
        var (request, unnamed, _) = Message(json);
        Assert.Null(request);
        Assert.StartsWith(reason, unnamed, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_keep_a_named_messages_problems_for_the_saga()
    {
        var (request, unnamed, problems) = Message("""{"requestId":"req-typed","model":"sim","messages":[{"role":"user","content":7}],"temperature":"hot"}""");
        Assert.Null(unnamed);
        Assert.Equal("req-typed", request!.RequestId);
        Assert.Equal("messages[0].content: expected a string or an array of parts (got a number); temperature: expected a number (got a string)", problems);
        Assert.Empty(RequestReader.ProblemsOf(SagaRequest()));

        static InferenceRequested SagaRequest() => new() { RequestId = "other", Model = "sim", Messages = [] };
    }
}
