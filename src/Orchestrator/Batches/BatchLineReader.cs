using System.Text.Json;
using Orchestrator.Retries;
using Orchestrator.Submission;

namespace Orchestrator.Batches;

/// <summary>
/// Reads one line of an OpenAI Batch API input file: <c>{"custom_id", "method": "POST", "url":
/// "/v1/chat/completions", "body": {chat-completions request}}</c>. The body goes through the same
/// <see cref="RequestReader"/> and <see cref="InputGate"/> as <c>POST /api/requests</c>, so a line is valid exactly
/// when its body would be accepted there. Pure code, no I/O.
/// </summary>
public static class BatchLineReader
{
    /// <summary>The one endpoint a batch line may name (OpenAI's chat completions).</summary>
    public const string ChatCompletionsUrl = "/v1/chat/completions";

    /// <summary>Longer custom ids are refused: they are stored on each request and echoed in every result line.</summary>
    public const int MaxCustomIdLength = 512;

    static readonly string[] LineFields = ["custom_id", "method", "url", "body"];

    public static BatchLine Read(string text, int line, string batchId, BatchDefaults defaults, ValidationOptions validation,
        RetryPolicyOptions retryPolicy, DateTimeOffset now)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException exception)
        {
            return new(line, null, null, $"not valid JSON: {exception.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return new(line, null, null, "a line must be a JSON object with custom_id, method, url and body");

            var problems = new List<string>();
            foreach (var property in root.EnumerateObject())
            {
                if (!LineFields.Contains(property.Name, StringComparer.Ordinal))
                    problems.Add($"unknown field {property.Name}; a line takes {string.Join(", ", LineFields)}");
            }

            string? customId = null;
            if (!root.TryGetProperty("custom_id", out var id) || id.ValueKind == JsonValueKind.Null)
                problems.Add("custom_id is required");
            else if (id.ValueKind != JsonValueKind.String || id.GetString() is not { Length: > 0 } value)
                problems.Add("custom_id must be a non-empty string");
            else if (value.Length > MaxCustomIdLength)
                problems.Add($"custom_id must be at most {MaxCustomIdLength} characters (got {value.Length})");
            else
                customId = value;

            if (!root.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String)
                problems.Add("method is required: POST");
            else if (method.GetString() != "POST")
                problems.Add($"unsupported method '{method.GetString()}': only POST");

            if (!root.TryGetProperty("url", out var url) || url.ValueKind != JsonValueKind.String)
                problems.Add($"url is required: {ChatCompletionsUrl}");
            else if (url.GetString() != ChatCompletionsUrl)
                problems.Add($"unsupported url '{url.GetString()}': only {ChatCompletionsUrl}");

            if (!root.TryGetProperty("body", out var body))
            {
                problems.Add("body is required: a chat-completions request");
            }
            else
            {
                var (request, errors) = RequestReader.ReadBatchBody(body, BatchIdentity.RequestId(batchId, customId ?? "-"));
                if (request is not null)
                {
                    request = request with
                    {
                        Deadline = request.Deadline ?? defaults.Deadline,
                        Priority = request.Priority ?? defaults.Priority,
                    };
                    errors = [.. InputGate.Check(request, validation, retryPolicy).Select(Under)];
                    if (InputGate.DeadlinePassed(request, now) is { } late)
                        errors = [.. errors, Under(late)];
                }
                problems.AddRange(errors.Select(e => e.ToString()));
                if (problems.Count == 0)
                    return new(line, customId, request, null);
            }
            return new(line, customId, null, string.Join("; ", problems));
        }
    }

    // The gate names fields from the request's root; in a batch line they sit under body.
    static FieldError Under(FieldError error) => error with { Field = "body." + error.Field };
}
