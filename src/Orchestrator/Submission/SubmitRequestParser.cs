using System.Text.Json;
using Orchestrator.Contracts;

namespace Orchestrator.Submission;

/// <summary>
/// Reads the body of <c>POST /api/requests</c>: OpenAI-style messages whose content is a string or an array of
/// parts, generation parameters as top-level fields. Every problem is reported per field, never thrown.
/// </summary>
public static class SubmitRequestParser
{
    public static (InferenceRequested? Request, IReadOnlyList<FieldError> Errors) Parse(JsonElement body, string? idempotencyKey)
    {
        var errors = new List<FieldError>();
        if (body.ValueKind != JsonValueKind.Object)
            return (null, [new FieldError("$", "the body must be a JSON object")]);

        var requestId = OptionalString(body, "requestId", errors);
        if (requestId is null && !string.IsNullOrEmpty(idempotencyKey))
            requestId = idempotencyKey;
        else if (requestId is not null && !string.IsNullOrEmpty(idempotencyKey) && requestId != idempotencyKey)
            errors.Add(new("requestId", "requestId and the Idempotency-Key header differ"));
        requestId ??= RequestIdentity.NewRequestId();

        var model = OptionalString(body, "model", errors) ?? "";
        var messages = Messages(body, errors);
        var parameters = new GenerationParameters
        {
            Temperature = OptionalDouble(body, "temperature", errors),
            TopP = OptionalDouble(body, "topP", errors),
            MaxTokens = OptionalInt(body, "maxTokens", errors),
            Stop = Stop(body, errors),
        };
        DateTimeOffset? deadline = null;
        if (body.TryGetProperty("deadline", out var d) && d.ValueKind != JsonValueKind.Null)
        {
            if (d.ValueKind == JsonValueKind.String && d.TryGetDateTimeOffset(out var at))
                deadline = at;
            else
                errors.Add(new("deadline", "deadline must be an ISO-8601 timestamp, e.g. 2026-01-01T12:00:00Z"));
        }
        var metadata = Metadata(body, errors);
        var source = OptionalString(body, "sourceService", errors);
        var priority = OptionalInt(body, "priority", errors);
        var retry = Retry(body, errors);

        var request = new InferenceRequested
        {
            RequestId = requestId,
            Model = model,
            Messages = messages,
            Parameters = parameters is { Temperature: null, TopP: null, MaxTokens: null, Stop: null } ? null : parameters,
            Deadline = deadline,
            Metadata = metadata,
            SourceService = source,
            Priority = priority,
            Retry = retry,
        };
        return (errors.Count == 0 ? request : null, errors);
    }

    /// <summary>
    /// The request's own retry limits, <c>{"maximumAttempts","initialIntervalMs","backoffCoefficient","maximumIntervalMs"}</c>,
    /// each optional; the server's caps still apply (docs/concepts.md, Retries). Only their JSON types are checked here: their
    /// ranges are <see cref="InputGate"/>'s, the same for a request from the bus.
    /// </summary>
    static RetryPolicyOverride? Retry(JsonElement body, List<FieldError> errors)
    {
        if (!body.TryGetProperty("retry", out var retry) || retry.ValueKind == JsonValueKind.Null)
            return null;
        if (retry.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("retry", "retry must be an object, e.g. {\"maximumAttempts\":3,\"initialIntervalMs\":500}"));
            return null;
        }
        var before = errors.Count;
        var policy = new RetryPolicyOverride
        {
            MaximumAttempts = OptionalInt(retry, "maximumAttempts", errors, "retry."),
            InitialIntervalMs = OptionalInt(retry, "initialIntervalMs", errors, "retry."),
            BackoffCoefficient = OptionalDouble(retry, "backoffCoefficient", errors, "retry."),
            MaximumIntervalMs = OptionalInt(retry, "maximumIntervalMs", errors, "retry."),
        };
        return errors.Count == before ? policy : null;
    }

    static List<ChatMessage> Messages(JsonElement body, List<FieldError> errors)
    {
        var messages = new List<ChatMessage>();
        if (!body.TryGetProperty("messages", out var array) || array.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new("messages", "messages is required"));
            return messages;
        }
        if (array.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new("messages", "messages must be an array"));
            return messages;
        }
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var at = $"messages[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new(at, "a message must be an object with role and content"));
                continue;
            }
            var role = item.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
            var parts = new List<ContentPart>();
            if (!item.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
            {
                errors.Add(new($"{at}.content", "content is required"));
            }
            else if (content.ValueKind == JsonValueKind.String)
            {
                parts.Add(ContentPart.FromText(content.GetString()!));
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                var p = 0;
                foreach (var part in content.EnumerateArray())
                {
                    if (Part(part, $"{at}.content[{p++}]", errors) is { } parsed)
                        parts.Add(parsed);
                }
            }
            else
            {
                errors.Add(new($"{at}.content", "content must be a string or an array of parts"));
            }
            messages.Add(new ChatMessage { Role = role, Content = parts });
        }
        return messages;
    }

    static ContentPart? Part(JsonElement part, string at, List<FieldError> errors)
    {
        if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(at, "a content part must be an object with a type"));
            return null;
        }
        switch (type.GetString())
        {
            case ContentPart.TextType:
                if (part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                    return ContentPart.FromText(text.GetString()!);
                errors.Add(new($"{at}.text", "a text part needs a string text"));
                return null;
            case ContentPart.ImageUrlType:
                if (part.TryGetProperty("image_url", out var image))
                {
                    if (image.ValueKind == JsonValueKind.String)
                        return ContentPart.FromImageUrl(image.GetString()!);
                    if (image.ValueKind == JsonValueKind.Object && image.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String)
                        return ContentPart.FromImageUrl(url.GetString()!);
                }
                errors.Add(new($"{at}.image_url", "an image part needs image_url.url"));
                return null;
            default:
                errors.Add(new($"{at}.type", $"part type must be 'text' or 'image_url' (got '{type.GetString()}')"));
                return null;
        }
    }

    static string? OptionalString(JsonElement body, string name, List<FieldError> errors)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind == JsonValueKind.String)
            return value.GetString();
        errors.Add(new(name, $"{name} must be a string"));
        return null;
    }

    static double? OptionalDouble(JsonElement body, string name, List<FieldError> errors, string path = "")
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d))
            return d;
        errors.Add(new(path + name, $"{path + name} must be a number"));
        return null;
    }

    static int? OptionalInt(JsonElement body, string name, List<FieldError> errors, string path = "")
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i))
            return i;
        errors.Add(new(path + name, $"{path + name} must be an integer"));
        return null;
    }

    static List<string>? Stop(JsonElement body, List<FieldError> errors)
    {
        if (!body.TryGetProperty("stop", out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind == JsonValueKind.String)
            return [value.GetString()!];
        if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
            return value.EnumerateArray().Select(e => e.GetString()!).ToList();
        errors.Add(new("stop", "stop must be a string or an array of strings"));
        return null;
    }

    static Dictionary<string, string>? Metadata(JsonElement body, List<FieldError> errors)
    {
        if (!body.TryGetProperty("metadata", out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind == JsonValueKind.Object && value.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.String))
            return value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        errors.Add(new("metadata", "metadata must be an object of string values"));
        return null;
    }
}
