using System.Buffers;
using System.Text.Json;
using Orchestrator.Batches;

namespace Orchestrator.Tests.Batches;

/// <summary>A result line has the shape of OpenAI's Batch output file.</summary>
public sealed class BatchResultsSpecs
{
    // OpenAI's documented example output lines (ids and values as OpenAI shows them).
    const string OpenAiSuccess = """
        {"id": "batch_req_123", "custom_id": "request-2", "response": {"status_code": 200, "request_id": "req_123", "body": {"id": "chatcmpl-123", "object": "chat.completion", "created": 1711652795, "model": "gpt-3.5-turbo-0125", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello."}, "logprobs": null, "finish_reason": "stop"}], "usage": {"prompt_tokens": 22, "completion_tokens": 2, "total_tokens": 24}}}, "error": null}
        """;
    const string OpenAiError = """
        {"id": "batch_req_456", "custom_id": "request-1", "response": null, "error": {"code": "invalid_api_key", "message": "Incorrect API key provided."}}
        """;

    static readonly DateTime Finished = new(2024, 3, 28, 19, 6, 35, DateTimeKind.Utc);

    static JsonElement Written(BatchResults.Row row)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
            BatchResults.Write(json, row);
        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    /// <summary>Every property path with its JSON kind, so two lines compare by shape.</summary>
    static List<string> Shape(JsonElement element, string path = "$")
    {
        var shape = new List<string> { $"{path}:{element.ValueKind}" };
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
                shape.AddRange(Shape(property.Value, $"{path}.{property.Name}"));
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in element.EnumerateArray())
                shape.AddRange(Shape(item, $"{path}[{i++}]"));
        }
        return shape.Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public void Should_write_a_succeeded_request_as_openais_success_line()
    {
        var line = Written(new BatchResults.Row("b:request-2", "request-2", 2, "Succeeded", "gpt-3.5-turbo-0125", "Hello.", "stop", 22, 2,
            Finished, Finished, null, null));

        Assert.Equal(Shape(JsonDocument.Parse(OpenAiSuccess).RootElement), Shape(line));
        Assert.Equal("request-2", line.GetProperty("custom_id").GetString());
        var body = line.GetProperty("response").GetProperty("body");
        Assert.Equal(1711652795, body.GetProperty("created").GetInt64());
        Assert.Equal("Hello.", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(24, body.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Theory]
    [InlineData("Failed", "Permanent", "HTTP 400 from sim", "Permanent", "HTTP 400 from sim")]
    [InlineData("Cancelled", null, "cancelled through the API", "Cancelled", "cancelled through the API")]
    public void Should_write_an_unsuccessful_request_as_openais_error_line(string state, string? kind, string reason, string code, string message)
    {
        var line = Written(new BatchResults.Row("b:request-1", "request-1", 1, state, "sim", null, null, null, null, Finished, Finished, kind, reason));

        Assert.Equal(Shape(JsonDocument.Parse(OpenAiError).RootElement), Shape(line));
        Assert.Equal((code, message), (line.GetProperty("error").GetProperty("code").GetString(), line.GetProperty("error").GetProperty("message").GetString()));
    }
}
