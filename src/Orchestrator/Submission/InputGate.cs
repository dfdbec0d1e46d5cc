using Orchestrator.Contracts;
using Orchestrator.Retries;

namespace Orchestrator.Submission;

/// <summary>
/// Checks a request before anything is called: pure code, no I/O. The API refuses what it finds with 400;
/// the saga ends a request from the bus Failed with <see cref="FailureKind.InvalidInput"/> and the same reasons.
/// What the JSON looked like (unknown fields, wrong types) is <see cref="RequestReader"/>'s; this checks the values.
/// </summary>
public static class InputGate
{
    static readonly HashSet<string> Roles = ["system", "user", "assistant", "tool", "developer"];
    static readonly HashSet<string> Details = ["auto", "low", "high"];

    public static IReadOnlyList<FieldError> Check(InferenceRequested request, ValidationOptions options, RetryPolicyOptions retryPolicy)
    {
        var errors = new List<FieldError>();
        if (RequestIdentity.Problem(request.RequestId) is { } idProblem)
            errors.Add(new("requestId", idProblem));

        if (string.IsNullOrWhiteSpace(request.Model))
            errors.Add(new("model", "model is required"));
        else if (!options.Models.Contains(request.Model, StringComparer.Ordinal))
            errors.Add(new("model", $"unknown model '{Truncate(request.Model)}'; configured models: {string.Join(", ", options.Models)}"));

        CheckMessages(request.Messages, options, errors);
        CheckParameters(request.Parameters, options, errors);
        if (request.Priority is { } priority && priority is < RequestPriority.Lowest or > RequestPriority.Highest)
            errors.Add(new("priority", $"must be between {RequestPriority.Lowest} and {RequestPriority.Highest} (got {priority})"));
        CheckRetry(request.Retry, retryPolicy, errors);
        return errors;
    }

    /// <summary>
    /// A new request whose deadline has passed could only fail: it is refused at submission (the API's 400, the bus's
    /// Failed with <see cref="FailureKind.DeadlineExceeded"/>). Null when there is no deadline or it is still ahead.
    /// </summary>
    public static FieldError? DeadlinePassed(InferenceRequested request, DateTimeOffset now) =>
        request.Deadline is { } deadline && deadline <= now
            ? new("deadline", $"the deadline {deadline.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ} has already passed (it is {now.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ})")
            : null;

    /// <summary>
    /// The request's own retry policy: one rule for the API and the bus. An attempt limit or a maximum interval above
    /// the server's caps is lowered to them (docs/concepts.md, Retries); values no policy can mean (a negative delay, a
    /// shrinking backoff, a first delay longer than the longest) are refused, naming the limit.
    /// </summary>
    static void CheckRetry(RetryPolicyOverride? retry, RetryPolicyOptions policy, List<FieldError> errors)
    {
        if (retry is null)
            return;
        if (retry.MaximumAttempts is < 0)
            errors.Add(new("retry.maximumAttempts", $"retry.maximumAttempts must be at least 0 (unlimited, up to the server's cap) (got {retry.MaximumAttempts})"));
        if (retry.InitialIntervalMs is < 0)
            errors.Add(new("retry.initialIntervalMs", $"retry.initialIntervalMs must be at least 0 (got {retry.InitialIntervalMs})"));
        if (retry.BackoffCoefficient is { } coefficient && !(coefficient >= 1 && double.IsFinite(coefficient)))
            errors.Add(new("retry.backoffCoefficient", $"retry.backoffCoefficient must be a finite number, at least 1 (got {coefficient})"));
        if (retry.MaximumIntervalMs is < 0)
            errors.Add(new("retry.maximumIntervalMs", $"retry.maximumIntervalMs must be at least 0 (got {retry.MaximumIntervalMs})"));

        // The planner caps every delay at the maximum interval, so a longer first delay would be cut without a word.
        if (retry.InitialIntervalMs is { } initial and >= 0 && retry.MaximumIntervalMs is not < 0)
        {
            var cap = (long)policy.MaximumIntervalCap.TotalMilliseconds;
            var (maximum, source) = retry.MaximumIntervalMs is { } asked
                ? (Math.Min(asked, cap), asked > cap ? $"the server's cap, {RetryPolicyOptions.SectionName}:MaximumIntervalCap" : "retry.maximumIntervalMs")
                : ((long)policy.MaximumInterval.TotalMilliseconds, $"the server's {RetryPolicyOptions.SectionName}:MaximumInterval; retry.maximumIntervalMs raises it up to {cap} ms");
            if (initial > maximum)
                errors.Add(new("retry.initialIntervalMs", $"retry.initialIntervalMs must be at most the maximum interval, {maximum} ms ({source}) (got {initial})"));
        }
    }

    static void CheckMessages(IReadOnlyList<ChatMessage>? messages, ValidationOptions options, List<FieldError> errors)
    {
        if (messages is null || messages.Count == 0)
        {
            errors.Add(new("messages", "at least one message is required"));
            return;
        }
        if (messages.Count > options.MaxMessages)
            errors.Add(new("messages", $"at most {options.MaxMessages} messages are allowed (got {messages.Count})"));

        long characters = 0;
        var images = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var at = $"messages[{i}]";
            if (message is null)
            {
                errors.Add(new(at, "message must not be null"));
                continue;
            }
            if (string.IsNullOrEmpty(message.Role) || !Roles.Contains(message.Role))
                errors.Add(new($"{at}.role", $"role must be one of {string.Join(", ", Roles)} (got '{Truncate(message.Role)}')"));
            if (message.Content is null || message.Content.Count == 0)
            {
                errors.Add(new($"{at}.content", "content must not be empty"));
                continue;
            }
            for (var p = 0; p < message.Content.Count; p++)
            {
                var part = message.Content[p];
                characters += CheckPart(part, $"{at}.content[{p}]", options, errors);
                if (part?.Type == ContentPart.ImageUrlType)
                {
                    images++;
                    // As in OpenAI's API: only a user shows the model an image.
                    if (message.Role is { } role && Roles.Contains(role) && role != "user")
                        errors.Add(new($"{at}.content[{p}]", $"image parts are allowed in user messages only (this one is {role})"));
                }
            }
        }
        // An image alone is a question too (OpenAI accepts it); a request with neither text nor image asks nothing.
        if (characters == 0 && images == 0)
            errors.Add(new("messages", "the messages hold no text and no image"));
        if (characters > options.MaxTextCharacters)
            errors.Add(new("messages", $"text is {characters} characters; at most {options.MaxTextCharacters} are allowed per request"));
    }

    static int CheckPart(ContentPart? part, string at, ValidationOptions options, List<FieldError> errors)
    {
        switch (part?.Type)
        {
            case ContentPart.TextType:
                if (part.Text is null)
                    errors.Add(new($"{at}.text", "a text part needs text"));
                if (part.ImageUrl is not null || part.Detail is not null)
                    errors.Add(new($"{at}.image_url", "a text part has no image_url or detail; send the image as a part of its own"));
                return part.Text?.Length ?? 0;
            case ContentPart.ImageUrlType:
                if (part.Text is not null)
                    errors.Add(new($"{at}.text", "an image part has no text; send the text as a part of its own"));
                if (part.Detail is { } detail && !Details.Contains(detail))
                    errors.Add(new($"{at}.image_url.detail", $"detail must be auto, low or high (got '{Truncate(detail)}')"));
                CheckImage(part.ImageUrl, $"{at}.image_url", options, errors);
                return 0;
            default:
                errors.Add(new($"{at}.type", $"part type must be 'text' or 'image_url' (got '{Truncate(part?.Type)}')"));
                return 0;
        }
    }

    static void CheckImage(string? url, string at, ValidationOptions options, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(url))
        {
            errors.Add(new(at, "an image part needs a url"));
            return;
        }
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = url.IndexOf(',', StringComparison.Ordinal);
            var header = comma < 0 ? url[5..] : url[5..comma];
            var mime = header.Split(';')[0].ToLowerInvariant();
            if (comma < 0 || !header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
                errors.Add(new(at, "a data URL must be base64: data:<mime>;base64,<data>"));
            else if (!options.ImageMimeTypes.Contains(mime))
                errors.Add(new(at, $"image type '{Truncate(mime)}' is not allowed; allowed: {string.Join(", ", options.ImageMimeTypes)}"));
            else if (ImageData.Problem(url.AsSpan(comma + 1), mime, options.MaxImageBytes) is { } problem)
                errors.Add(new(at, problem));
            return;
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            errors.Add(new(at, "an image url must be https:// or a data: URL"));
    }

    static void CheckParameters(GenerationParameters? parameters, ValidationOptions options, List<FieldError> errors)
    {
        if (parameters is null)
            return;
        if (parameters.Temperature is { } t && (double.IsNaN(t) || t < options.MinTemperature || t > options.MaxTemperature))
            errors.Add(new("temperature", $"temperature must be between {options.MinTemperature} and {options.MaxTemperature} (got {t})"));
        if (parameters.TopP is { } p && (double.IsNaN(p) || p <= 0 || p > 1))
            errors.Add(new("topP", $"topP must be greater than 0 and at most 1 (got {p})"));
        if (parameters.MaxTokens is { } m && (m < 1 || m > options.MaxTokensLimit))
            errors.Add(new("maxTokens", $"maxTokens must be between 1 and {options.MaxTokensLimit} (got {m})"));
        if (parameters.Stop is { } stop && (stop.Count > 4 || stop.Any(string.IsNullOrEmpty)))
            errors.Add(new("stop", "stop takes at most 4 non-empty sequences"));
        if (parameters.PresencePenalty is { } presence && !(presence >= -2 && presence <= 2))
            errors.Add(new("presencePenalty", $"presencePenalty must be between -2 and 2 (got {presence})"));
        if (parameters.FrequencyPenalty is { } frequency && !(frequency >= -2 && frequency <= 2))
            errors.Add(new("frequencyPenalty", $"frequencyPenalty must be between -2 and 2 (got {frequency})"));
    }

    static string Truncate(string? value) => value is { Length: > 40 } ? value[..40] + "…" : value ?? "";
}
