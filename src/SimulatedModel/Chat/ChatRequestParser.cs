using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Orchestrator.SimulatedModel.Determinism;

namespace Orchestrator.SimulatedModel.Chat;

/// <summary>
/// Reads an OpenAI chat-completions body leniently from a <see cref="JsonDocument"/>: unknown fields and unknown
/// content part types are accepted, but fields the simulator uses must have the protocol's types.
/// </summary>
static class ChatRequestParser
{
    // Tags that separate the hashed fields, so different shapes of the same characters give different keys.
    const byte ModelTag = 1;
    const byte RoleTag = 2;
    const byte TextTag = 3;
    const byte TextPartTag = 4;
    const byte ImagePartTag = 5;
    const byte OtherPartTag = 6;
    const byte NoContentTag = 7;

    public static bool TryParse(JsonElement root, [NotNullWhen(true)] out ChatRequest? request, [NotNullWhen(false)] out ApiError? error)
    {
        request = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = ApiError.InvalidRequest("The request body must be a JSON object.", null);
            return false;
        }

        var model = root.TryGetProperty("model", out var modelElement) && modelElement.ValueKind == JsonValueKind.String
            ? modelElement.GetString()
            : null;
        if (string.IsNullOrWhiteSpace(model))
        {
            error = ApiError.InvalidRequest("You must provide a model parameter.", "model");
            return false;
        }

        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            error = ApiError.InvalidRequest("'messages' is required and must be an array of messages.", "messages");
            return false;
        }

        if (messages.GetArrayLength() == 0)
        {
            error = ApiError.InvalidRequest("'messages' must contain at least one message.", "messages");
            return false;
        }

        var hash = default(StableHash);
        hash.AddTag(ModelTag);
        hash.Add(model);
        var promptTokens = 0;
        JsonElement lastUserContent = default;
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (!TryAddMessage(message, index, ref hash, ref promptTokens, ref lastUserContent, out error))
            {
                return false;
            }

            index++;
        }

        if (!TryReadParameters(root, out var maxTokens, out var stop, out var logprobs, out var topLogprobs, out var stream, out error))
        {
            return false;
        }

        request = new ChatRequest
        {
            Model = model,
            ScriptKey = hash.Finish(),
            LastUserText = TextOf(lastUserContent),
            PromptTokens = promptTokens,
            MaxTokens = maxTokens,
            Stop = stop,
            Logprobs = logprobs,
            TopLogprobs = topLogprobs,
            Stream = stream,
        };
        return true;
    }

    /// <summary>Counts whitespace-separated words without allocating.</summary>
    public static int CountWords(ReadOnlySpan<char> text)
    {
        var count = 0;
        var inWord = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                inWord = false;
            }
            else if (!inWord)
            {
                inWord = true;
                count++;
            }
        }

        return count;
    }

    static bool TryAddMessage(
        JsonElement message,
        int index,
        ref StableHash hash,
        ref int promptTokens,
        ref JsonElement lastUserContent,
        [NotNullWhen(false)] out ApiError? error)
    {
        error = null;
        if (message.ValueKind != JsonValueKind.Object)
        {
            error = ApiError.InvalidRequest($"messages[{index}] must be an object.", $"messages[{index}]");
            return false;
        }

        if (!message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
        {
            error = ApiError.InvalidRequest($"messages[{index}].role is required and must be a string.", $"messages[{index}].role");
            return false;
        }

        hash.AddTag(RoleTag);
        hash.Add(role.GetString());

        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            // Assistant messages that only carry tool calls have no content.
            hash.AddTag(NoContentTag);
        }
        else if (content.ValueKind == JsonValueKind.String)
        {
            var text = content.GetString()!;
            hash.AddTag(TextTag);
            hash.Add(text);
            promptTokens += CountWords(text);
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            var partIndex = 0;
            foreach (var part in content.EnumerateArray())
            {
                if (!TryAddPart(part, index, partIndex, ref hash, ref promptTokens, out error))
                {
                    return false;
                }

                partIndex++;
            }
        }
        else
        {
            error = ApiError.InvalidRequest(
                $"messages[{index}].content must be a string or an array of content parts.", $"messages[{index}].content");
            return false;
        }

        if (role.ValueEquals("user"))
        {
            lastUserContent = content;
        }

        return true;
    }

    static bool TryAddPart(
        JsonElement part,
        int messageIndex,
        int partIndex,
        ref StableHash hash,
        ref int promptTokens,
        [NotNullWhen(false)] out ApiError? error)
    {
        error = null;

        // Built only on error: a valid request allocates nothing per part beyond its text.
        string Param() => $"messages[{messageIndex}].content[{partIndex}]";
        if (part.ValueKind != JsonValueKind.Object
            || !part.TryGetProperty("type", out var type)
            || type.ValueKind != JsonValueKind.String)
        {
            error = ApiError.InvalidRequest($"{Param()} must be an object with a string 'type'.", Param());
            return false;
        }

        if (type.ValueEquals("text"))
        {
            if (!part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            {
                error = ApiError.InvalidRequest($"{Param()}.text is required for a text part.", $"{Param()}.text");
                return false;
            }

            var value = text.GetString()!;
            hash.AddTag(TextPartTag);
            hash.Add(value);
            promptTokens += CountWords(value);
            return true;
        }

        if (type.ValueEquals("image_url"))
        {
            string? url = null;
            if (part.TryGetProperty("image_url", out var image))
            {
                // The protocol nests the URL in an object; a bare string is accepted too.
                if (image.ValueKind == JsonValueKind.Object && image.TryGetProperty("url", out var urlElement) && urlElement.ValueKind == JsonValueKind.String)
                {
                    url = urlElement.GetString();
                }
                else if (image.ValueKind == JsonValueKind.String)
                {
                    url = image.GetString();
                }
            }

            if (string.IsNullOrEmpty(url))
            {
                error = ApiError.InvalidRequest($"{Param()}.image_url.url is required for an image_url part.", $"{Param()}.image_url.url");
                return false;
            }

            hash.AddTag(ImagePartTag);
            hash.Add(url);
            return true;
        }

        // Other part types (audio, files) do not matter to the simulator, but still distinguish script keys.
        hash.AddTag(OtherPartTag);
        hash.Add(part.GetRawText());
        return true;
    }

    static string TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        List<string>? texts = null;
        foreach (var part in content.EnumerateArray())
        {
            if (part.TryGetProperty("type", out var type) && type.ValueEquals("text"))
            {
                (texts ??= []).Add(part.GetProperty("text").GetString()!);
            }
        }

        return texts is null ? string.Empty : string.Join('\n', texts);
    }

    static bool TryReadParameters(
        JsonElement root,
        out int? maxTokens,
        out string[]? stop,
        out bool logprobs,
        out int topLogprobs,
        out bool stream,
        [NotNullWhen(false)] out ApiError? error)
    {
        maxTokens = null;
        stop = null;
        logprobs = false;
        topLogprobs = 0;
        stream = false;
        error = ReadBoolean(root, "stream", ref stream)
            ?? ReadBoolean(root, "logprobs", ref logprobs)
            ?? CheckNumber(root, "temperature", 0, 2)
            ?? CheckNumber(root, "top_p", 0, 1);
        if (error is not null)
        {
            return false;
        }

        // max_completion_tokens is the newer name of max_tokens; either limits the answer.
        foreach (var name in (ReadOnlySpan<string>)["max_tokens", "max_completion_tokens"])
        {
            if (Present(root, name, out var value))
            {
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var limit) || limit < 1)
                {
                    error = ApiError.InvalidRequest($"'{name}' must be an integer of at least 1.", name);
                    return false;
                }

                maxTokens = maxTokens is int other ? Math.Min(other, limit) : limit;
            }
        }

        if (Present(root, "top_logprobs", out var top))
        {
            if (top.ValueKind != JsonValueKind.Number || !top.TryGetInt32(out topLogprobs) || topLogprobs is < 0 or > 20)
            {
                error = ApiError.InvalidRequest("'top_logprobs' must be an integer between 0 and 20.", "top_logprobs");
                return false;
            }
        }

        if (Present(root, "stop", out var stopElement) && !TryReadStop(stopElement, out stop, out error))
        {
            return false;
        }

        return true;
    }

    static bool TryReadStop(JsonElement element, out string[]? stop, [NotNullWhen(false)] out ApiError? error)
    {
        error = null;
        stop = null;
        if (element.ValueKind == JsonValueKind.String)
        {
            stop = [element.GetString()!];
            return true;
        }

        if (element.ValueKind == JsonValueKind.Array)
        {
            var values = new string[element.GetArrayLength()];
            var i = 0;
            foreach (var item in element.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    error = ApiError.InvalidRequest("'stop' must be a string or an array of strings.", "stop");
                    return false;
                }

                values[i++] = item.GetString()!;
            }

            stop = values;
            return true;
        }

        error = ApiError.InvalidRequest("'stop' must be a string or an array of strings.", "stop");
        return false;
    }

    static ApiError? ReadBoolean(JsonElement root, string name, ref bool value)
    {
        if (!Present(root, name, out var element))
        {
            return null;
        }

        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            value = element.GetBoolean();
            return null;
        }

        return ApiError.InvalidRequest($"'{name}' must be a boolean.", name);
    }

    static ApiError? CheckNumber(JsonElement root, string name, double min, double max)
    {
        if (!Present(root, name, out var element)
            || (element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var value) && value >= min && value <= max))
        {
            return null;
        }

        return ApiError.InvalidRequest($"'{name}' must be a number between {min} and {max}.", name);
    }

    /// <summary>Whether the field is there and not null: the protocol treats an explicit null as absent.</summary>
    static bool Present(JsonElement root, string name, out JsonElement value) =>
        root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
}
