using System.Runtime.CompilerServices;
using System.Text.Json;
using Orchestrator.Contracts;

namespace Orchestrator.Submission;

/// <summary>
/// Reads a request's JSON into an <see cref="InferenceRequested"/>, the same for both doors: the body of
/// <c>POST /api/requests</c> and the <c>message</c> of an <c>InferenceRequested</c> envelope on the bus
/// (<see cref="RequestMessageDeserializer"/>). OpenAI's shape and the contract's own serialized form read alike:
/// <c>content</c> as a string or an array of parts, an image as <c>image_url</c> (a string, or OpenAI's
/// <c>{"url","detail"}</c>) or <c>imageUrl</c>, the generation parameters at the top level or under
/// <c>parameters</c>, every name in camelCase or snake_case, case-insensitively, and null as absent.
/// </summary>
/// <remarks>
/// The reader checks the JSON's shape only: a field it does not know, a field given twice (in two spellings, or at the
/// top level and under <c>parameters</c>), a value of the wrong JSON type. Each is a <see cref="FieldError"/> naming
/// the field's path; nothing is thrown and nothing is dropped. What the values may be is the <see cref="InputGate"/>'s,
/// which checks a request from either door (and one a .NET caller built itself) the same way.
/// </remarks>
public static class RequestReader
{
    static readonly FieldSet TopLevelFields = new(
        "requestId", "model", "messages", "parameters", "deadline", "metadata", "retry", "priority", "sourceService", "callback",
        "temperature", "topP", "maxTokens", "stop", "seed", "presencePenalty", "frequencyPenalty");
    // A batch line's body: OpenAI's chat-completions request. Its request id comes from the line's custom_id, and n is
    // OpenAI's (one answer per request is all we give).
    static readonly FieldSet BatchBodyFields = new([.. TopLevelFields.Names.Where(n => n != "requestId"), "n"]);
    static readonly FieldSet ParameterFields = new("temperature", "topP", "maxTokens", "stop", "seed", "presencePenalty", "frequencyPenalty");
    static readonly FieldSet MessageFields = new("role", "content");
    static readonly FieldSet PartFields = new("type", "text", "imageUrl", "detail");
    static readonly FieldSet ImageFields = new("url", "detail");
    static readonly FieldSet CallbackFields = new("url");
    static readonly FieldSet RetryFields = new("maximumAttempts", "initialIntervalMs", "backoffCoefficient", "maximumIntervalMs");

    // What the bus door read wrong, for the message it produced: the saga's admission refuses the request with it.
    static readonly ConditionalWeakTable<InferenceRequested, IReadOnlyList<FieldError>> Problems = [];

    /// <summary>
    /// The body of <c>POST /api/requests</c>. The request id is optional: the <c>Idempotency-Key</c> header serves,
    /// else one is generated. The request is null when there are errors.
    /// </summary>
    public static (InferenceRequested? Request, IReadOnlyList<FieldError> Errors) ReadSubmission(JsonElement body, string? idempotencyKey)
    {
        if (body.ValueKind != JsonValueKind.Object)
            return (null, [new FieldError("$", $"the body must be a JSON object (got {Kind(body)})")]);

        var errors = new List<FieldError>();
        var fields = TopLevelFields.Read(body, "", errors);
        var requestId = fields.String("requestId", errors);
        if (requestId is null && !string.IsNullOrEmpty(idempotencyKey))
            requestId = idempotencyKey;
        else if (requestId is not null && !string.IsNullOrEmpty(idempotencyKey) && requestId != idempotencyKey)
            errors.Add(new(fields.PathOf("requestId"), "requestId and the Idempotency-Key header differ"));
        var request = Request(requestId ?? RequestIdentity.NewRequestId(), fields, errors);
        return (errors.Count == 0 ? request : null, errors);
    }

    /// <summary>
    /// The <c>body</c> of a batch line (OpenAI Batch API): the fields <c>POST /api/requests</c> takes, but no
    /// <c>requestId</c> (<paramref name="requestId"/> is derived from the line's custom_id), and OpenAI's <c>n</c> only
    /// as 1. Errors are named as paths under <c>body.</c>; the request is null when there are any.
    /// </summary>
    public static (InferenceRequested? Request, IReadOnlyList<FieldError> Errors) ReadBatchBody(JsonElement body, string requestId)
    {
        if (body.ValueKind != JsonValueKind.Object)
            return (null, [new FieldError("body", $"the body must be a JSON object, a chat-completions request (got {Kind(body)})")]);

        var errors = new List<FieldError>();
        var fields = BatchBodyFields.Read(body, "body.", errors);
        if (fields.Int("n", errors) is { } n && n != 1)
            errors.Add(new(fields.PathOf("n"), $"only n = 1 is supported: one answer per request (got {n})"));
        var request = Request(requestId, fields, errors);
        return (errors.Count == 0 ? request : null, errors);
    }

    /// <summary>
    /// The <c>message</c> of an <c>InferenceRequested</c> envelope. Returns the reason the message names no request
    /// (no request id can be read from it), or the request, read as far as it goes: its problems are kept for
    /// <see cref="ProblemsOf"/>, and the saga ends it Failed with them.
    /// </summary>
    public static (InferenceRequested? Request, string? Unnamed) ReadMessage(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object)
            return (null, $"the envelope's message must be a JSON object with the request's fields (got {Kind(message)})");

        var errors = new List<FieldError>();
        var fields = TopLevelFields.Read(message, "", errors);
        if (fields.IsDuplicated("requestId"))
            return (null, "the message gives its requestId twice, so it names no one request");
        if (!fields.TryGet("requestId", out var id))
            return (null, "the message has no requestId, so it cannot be tied to a request");
        if (id.Value.ValueKind != JsonValueKind.String)
            return (null, $"the message's {id.Name} must be a string (got {Kind(id.Value)}), so it cannot be tied to a request");
        var requestId = id.Value.GetString()!;
        if (requestId.Length == 0)
            return (null, "the message's requestId is empty, so it cannot be tied to a request");

        var request = Request(requestId, fields, errors);
        if (errors.Count > 0)
            Problems.AddOrUpdate(request, errors);
        return (request, null);
    }

    /// <summary>What <see cref="ReadMessage"/> found wrong in the message that became <paramref name="request"/>; empty for any other.</summary>
    public static IReadOnlyList<FieldError> ProblemsOf(InferenceRequested request) =>
        Problems.TryGetValue(request, out var errors) ? errors : [];

    static InferenceRequested Request(string requestId, Fields fields, List<FieldError> errors)
    {
        return new InferenceRequested
        {
            RequestId = requestId,
            Model = fields.String("model", errors) ?? "",
            Messages = ReadMessages(fields, errors),
            Parameters = ReadParameters(fields, errors),
            Deadline = ReadDeadline(fields, errors),
            Metadata = ReadMetadata(fields, errors),
            Retry = ReadRetry(fields, errors),
            Priority = fields.Int("priority", errors),
            SourceService = fields.String("sourceService", errors),
            Callback = ReadCallback(fields, errors),
        };
    }

    static List<ChatMessage> ReadMessages(Fields fields, List<FieldError> errors)
    {
        var messages = new List<ChatMessage>();
        if (!fields.TryGet("messages", out var array))
        {
            errors.Add(new(fields.PathOf("messages"), "messages is required"));
            return messages;
        }
        if (array.Value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new(array.Name, $"expected an array of messages (got {Kind(array.Value)})"));
            return messages;
        }
        var i = 0;
        foreach (var item in array.Value.EnumerateArray())
        {
            var at = $"{array.Name}[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new(at, $"expected a message object with role and content (got {Kind(item)})"));
                continue;
            }
            var message = MessageFields.Read(item, at + ".", errors);
            messages.Add(new ChatMessage { Role = message.String("role", errors) ?? "", Content = ReadContent(message, at, errors) });
        }
        return messages;
    }

    static List<ContentPart> ReadContent(Fields message, string at, List<FieldError> errors)
    {
        var parts = new List<ContentPart>();
        if (!message.TryGet("content", out var content))
        {
            errors.Add(new($"{at}.content", "content is required"));
            return parts;
        }
        switch (content.Value.ValueKind)
        {
            case JsonValueKind.String:
                parts.Add(ContentPart.FromText(content.Value.GetString()!));
                break;
            case JsonValueKind.Array:
                var p = 0;
                foreach (var part in content.Value.EnumerateArray())
                {
                    if (ReadPart(part, $"{content.Name}[{p++}]", errors) is { } read)
                        parts.Add(read);
                }
                break;
            default:
                errors.Add(new(content.Name, $"expected a string or an array of parts (got {Kind(content.Value)})"));
                break;
        }
        return parts;
    }

    static ContentPart? ReadPart(JsonElement element, string at, List<FieldError> errors)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(at, $"expected a part object, e.g. {{\"type\":\"text\",\"text\":\"...\"}} (got {Kind(element)})"));
            return null;
        }
        var part = PartFields.Read(element, at + ".", errors);
        string? url = null;
        string? detail = null;
        if (part.TryGet("imageUrl", out var image))
        {
            // OpenAI's {"url","detail"} object, or the URL alone (the contract's imageUrl, or image_url as a string).
            if (image.Value.ValueKind == JsonValueKind.Object)
            {
                var nested = ImageFields.Read(image.Value, image.Name + ".", errors);
                url = nested.String("url", errors);
                detail = nested.String("detail", errors);
                if (url is null && !nested.TryGet("url", out _))
                    errors.Add(new($"{image.Name}.url", "an image part needs image_url.url"));
            }
            else if (image.Value.ValueKind == JsonValueKind.String)
            {
                url = image.Value.GetString();
            }
            else
            {
                errors.Add(new(image.Name, $"expected an object {{\"url\":\"...\",\"detail\":\"auto|low|high\"}} or a URL string (got {Kind(image.Value)})"));
            }
        }
        if (part.String("detail", errors) is { } partDetail)
        {
            if (detail is not null)
                errors.Add(new(part.PathOf("detail"), "detail is given twice, here and in image_url.detail"));
            detail ??= partDetail;
        }
        if (!part.TryGet("type", out _))
            errors.Add(new(at + ".type", "a part needs a type: 'text' or 'image_url'"));
        return new ContentPart { Type = part.String("type", errors) ?? "", Text = part.String("text", errors), ImageUrl = url, Detail = detail };
    }

    /// <summary>The parameters at the top level and under <c>parameters</c>, merged; each may be given once.</summary>
    static GenerationParameters? ReadParameters(Fields top, List<FieldError> errors)
    {
        var all = top.Only(ParameterFields);
        if (top.TryGet("parameters", out var nested))
        {
            if (nested.Value.ValueKind == JsonValueKind.Object)
            {
                var inner = ParameterFields.Read(nested.Value, nested.Name + ".", errors);
                foreach (var name in inner.Present)
                {
                    if (all.TryGet(name, out var outer))
                        errors.Add(new(inner.PathOf(name), $"{name} is given twice, as {outer.Name} and here; give it once"));
                }
                all = all.Merge(inner);
            }
            else
            {
                errors.Add(new(nested.Name, $"expected an object of generation parameters (got {Kind(nested.Value)})"));
            }
        }
        if (all.Present.Count == 0)
            return null;
        return new GenerationParameters
        {
            Temperature = all.Double("temperature", errors),
            TopP = all.Double("topP", errors),
            MaxTokens = all.Int("maxTokens", errors),
            Stop = ReadStop(all, errors),
            Seed = all.Long("seed", errors),
            PresencePenalty = all.Double("presencePenalty", errors),
            FrequencyPenalty = all.Double("frequencyPenalty", errors),
        };
    }

    static List<string>? ReadStop(Fields fields, List<FieldError> errors)
    {
        if (!fields.TryGet("stop", out var stop))
            return null;
        if (stop.Value.ValueKind == JsonValueKind.String)
            return [stop.Value.GetString()!];
        if (stop.Value.ValueKind == JsonValueKind.Array && stop.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
            return stop.Value.EnumerateArray().Select(e => e.GetString()!).ToList();
        errors.Add(new(stop.Name, $"expected a string or an array of strings (got {Kind(stop.Value)})"));
        return null;
    }

    static DateTimeOffset? ReadDeadline(Fields fields, List<FieldError> errors)
    {
        if (!fields.TryGet("deadline", out var deadline))
            return null;
        if (deadline.Value.ValueKind == JsonValueKind.String && deadline.Value.TryGetDateTimeOffset(out var at))
            return at;
        errors.Add(new(deadline.Name, "expected an ISO-8601 timestamp, e.g. 2026-01-01T12:00:00Z"));
        return null;
    }

    static Dictionary<string, string>? ReadMetadata(Fields fields, List<FieldError> errors)
    {
        if (!fields.TryGet("metadata", out var metadata))
            return null;
        if (metadata.Value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(metadata.Name, $"expected an object of string values (got {Kind(metadata.Value)})"));
            return null;
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in metadata.Value.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String)
                values[property.Name] = property.Value.GetString()!;
            else
                errors.Add(new($"{metadata.Name}.{property.Name}", $"expected a string (got {Kind(property.Value)})"));
        }
        return values;
    }

    /// <summary>
    /// The request's own retry limits; their ranges are the <see cref="InputGate"/>'s (docs/concepts.md, Retries).
    /// </summary>
    static RetryPolicyOverride? ReadRetry(Fields fields, List<FieldError> errors)
    {
        if (!fields.TryGet("retry", out var retry))
            return null;
        if (retry.Value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(retry.Name, $"expected an object, e.g. {{\"maximumAttempts\":3,\"initialIntervalMs\":500}} (got {Kind(retry.Value)})"));
            return null;
        }
        var policy = RetryFields.Read(retry.Value, retry.Name + ".", errors);
        return new RetryPolicyOverride
        {
            MaximumAttempts = policy.Int("maximumAttempts", errors),
            InitialIntervalMs = policy.Int("initialIntervalMs", errors),
            BackoffCoefficient = policy.Double("backoffCoefficient", errors),
            MaximumIntervalMs = policy.Int("maximumIntervalMs", errors),
        };
    }

    /// <summary>Where to POST the outcome; whether the URL may be called is the callback gate's (Callbacks/CallbackGate).</summary>
    static CallbackTarget? ReadCallback(Fields fields, List<FieldError> errors)
    {
        if (!fields.TryGet("callback", out var callback))
            return null;
        if (callback.Value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(callback.Name, $"expected an object, e.g. {{\"url\":\"https://example.com/hook\"}} (got {Kind(callback.Value)})"));
            return null;
        }
        var target = CallbackFields.Read(callback.Value, callback.Name + ".", errors);
        var url = target.String("url", errors);
        if (url is null && !target.TryGet("url", out _))
            errors.Add(new(target.PathOf("url"), "a callback needs a url"));
        return url is null ? null : new CallbackTarget { Url = url };
    }

    static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>
    /// The fields an object may have, by their camelCase names; each is also read in snake_case
    /// (<c>maxTokens</c>, <c>max_tokens</c>), case-insensitively.
    /// </summary>
    sealed class FieldSet
    {
        readonly Dictionary<string, string> _spellings = new(StringComparer.OrdinalIgnoreCase);

        public FieldSet(params string[] names)
        {
            Names = names;
            foreach (var name in names)
            {
                _spellings[name] = name;
                _spellings[SnakeCase(name)] = name;
            }
        }

        public IReadOnlyList<string> Names { get; }

        /// <summary>
        /// The object's fields by their canonical names, null ones left out. A field not in the set, or given twice,
        /// is an error naming it (<paramref name="path"/> + its name as the JSON spells it).
        /// </summary>
        public Fields Read(JsonElement value, string path, List<FieldError> errors)
        {
            var found = new Dictionary<string, Field>(StringComparer.Ordinal);
            var duplicated = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in value.EnumerateObject())
            {
                var at = path + property.Name;
                if (!_spellings.TryGetValue(property.Name, out var name))
                {
                    errors.Add(new(at, $"unknown field; {(path.Length == 0 ? "a request" : path.TrimEnd('.'))} takes {string.Join(", ", Names)}"));
                    continue;
                }
                if (property.Value.ValueKind == JsonValueKind.Null)
                    continue;
                if (found.TryGetValue(name, out var first))
                {
                    errors.Add(new(at, $"{name} is given twice, as {first.Name} and {at}; give it once"));
                    duplicated.Add(name);
                    continue;
                }
                found[name] = new Field(at, property.Value);
            }
            return new Fields(found, duplicated, path);
        }

        static string SnakeCase(string name) =>
            string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i == 0 ? "" : "_") + char.ToLowerInvariant(c) : c.ToString()));
    }

    /// <summary>A field as found: its path as the JSON spells it, and its value.</summary>
    readonly record struct Field(string Name, JsonElement Value);

    /// <summary>The fields read from one object, by canonical name.</summary>
    sealed class Fields(Dictionary<string, Field> found, HashSet<string> duplicated, string path)
    {
        public Dictionary<string, Field>.KeyCollection Present => found.Keys;

        public bool TryGet(string name, out Field field) => found.TryGetValue(name, out field);

        /// <summary>Where an error about <paramref name="name"/> points: as spelled, or the canonical name when absent.</summary>
        public string PathOf(string name) => found.TryGetValue(name, out var field) ? field.Name : path + name;

        /// <summary>The field was given more than once (an error was reported).</summary>
        public bool IsDuplicated(string name) => duplicated.Contains(name);

        /// <summary>These fields that belong to <paramref name="subset"/>.</summary>
        public Fields Only(FieldSet subset) =>
            new(found.Where(f => subset.Names.Contains(f.Key)).ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal), duplicated, path);

        /// <summary>These fields and <paramref name="other"/>'s; on a clash (already reported) these win.</summary>
        public Fields Merge(Fields other)
        {
            var all = new Dictionary<string, Field>(found, StringComparer.Ordinal);
            foreach (var name in other.Present)
            {
                if (other.TryGet(name, out var field))
                    all.TryAdd(name, field);
            }
            return new(all, duplicated, path);
        }

        public string? String(string name, List<FieldError> errors)
        {
            if (!found.TryGetValue(name, out var field))
                return null;
            if (field.Value.ValueKind == JsonValueKind.String)
                return field.Value.GetString();
            errors.Add(new(field.Name, $"expected a string (got {Kind(field.Value)})"));
            return null;
        }

        public double? Double(string name, List<FieldError> errors)
        {
            if (!found.TryGetValue(name, out var field))
                return null;
            if (field.Value.ValueKind == JsonValueKind.Number && field.Value.TryGetDouble(out var value))
                return value;
            errors.Add(new(field.Name, $"expected a number (got {Kind(field.Value)})"));
            return null;
        }

        public int? Int(string name, List<FieldError> errors)
        {
            if (!found.TryGetValue(name, out var field))
                return null;
            if (field.Value.ValueKind == JsonValueKind.Number && field.Value.TryGetInt32(out var value))
                return value;
            errors.Add(new(field.Name, field.Value.ValueKind == JsonValueKind.Number
                ? $"expected a whole number between {int.MinValue} and {int.MaxValue} (got {field.Value.GetRawText()})"
                : $"expected a whole number (got {Kind(field.Value)})"));
            return null;
        }

        public long? Long(string name, List<FieldError> errors)
        {
            if (!found.TryGetValue(name, out var field))
                return null;
            if (field.Value.ValueKind == JsonValueKind.Number && field.Value.TryGetInt64(out var value))
                return value;
            errors.Add(new(field.Name, field.Value.ValueKind == JsonValueKind.Number
                ? $"expected a whole number that fits in 64 bits (got {field.Value.GetRawText()})"
                : $"expected a whole number (got {Kind(field.Value)})"));
            return null;
        }
    }
}
