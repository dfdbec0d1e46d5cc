using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Orchestrator.Contracts;
using Orchestrator.Workers.Hosting;

namespace Orchestrator.Workers.ModelClient;

/// <summary>
/// Calls an OpenAI-compatible <c>POST /v1/chat/completions</c> endpoint and turns whatever happens into a
/// <see cref="ModelCallResult"/>: it never throws for the endpoint's faults, only for the caller's cancellation.
/// </summary>
public sealed class ChatCompletionsClient(HttpClient http, FailureClassifier classifier, ILogger<ChatCompletionsClient> logger)
{
    // A provider that sends a header we cannot read sends it on every answer: one debug line per endpoint and header
    // per process says so without flooding. Static because the typed client is created per use.
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> ReportedHeaders = new(StringComparer.Ordinal);

    public const string HttpClientName = "model";

    public async Task<ModelCallResult> CallAsync(EndpointOptions endpoint, InvokeModel invoke, bool requestLogprobs, CancellationToken cancellationToken)
    {
        var name = endpoint.DisplayName;
        // Two stages, each with its own clock: the response headers (the model may queue the request or think a long
        // time before the first byte), and the whole call including the body.
        using var total = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        total.CancelAfter(endpoint.Timeout);
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(total.Token);
        // Without a headers timeout of its own the total one alone applies: a second timer of the same length would
        // race it and name the wrong limit.
        if (endpoint.HeadersTimeout is { } headersTimeout)
            headers.CancelAfter(headersTimeout);

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(endpoint.BaseUrl.TrimEnd('/') + "/"), "v1/chat/completions"));
        request.Content = new ByteArrayContent(Body(invoke, endpoint.RemoteModel ?? invoke.Model, requestLogprobs));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("X-Request-Id", invoke.RequestId);
        request.Headers.TryAddWithoutValidation("X-Attempt", invoke.Attempt.ToString(CultureInfo.InvariantCulture));
        if (endpoint.ResolvedApiKey is { Length: > 0 } apiKey)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);

        var stage = "response headers";
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headers.Token);
            stage = "response body";
            var status = (int)response.StatusCode;
            var rateLimit = ReadRateLimit(response, name);
            var body = await response.Content.ReadAsByteArrayAsync(total.Token);
            if (!response.IsSuccessStatusCode)
            {
                var (kind, cause) = classifier.FromStatus(status);
                return ModelCallResult.Failure(name, kind, cause, $"HTTP {status} from {name}: {ErrorMessage(body)}", status, RetryAfter(response)) with
                {
                    RateLimit = rateLimit,
                };
            }
            return Parse(body, name, status) with { RateLimit = rateLimit };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var limit = total.IsCancellationRequested ? endpoint.Timeout : endpoint.HeadersTimeout ?? endpoint.Timeout;
            var which = total.IsCancellationRequested ? "total" : "headers";
            return ModelCallResult.Failure(name, FailureKind.Transient, "timeout",
                $"{name} timed out waiting for the {stage} ({which} timeout of {limit.TotalSeconds:0.###} s)");
        }
        catch (HttpRequestException exception) when (exception.InnerException is TimeoutException)
        {
            return ModelCallResult.Failure(name, FailureKind.Transient, "timeout", $"{name} timed out while connecting ({exception.InnerException.Message})");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var (kind, cause, reason) = FailureClassifier.FromException(exception, name);
            return ModelCallResult.Failure(name, kind, cause, reason);
        }
    }

    static byte[] Body(InvokeModel invoke, string model, bool logprobs)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteStartArray("messages");
            foreach (var message in invoke.Messages)
            {
                json.WriteStartObject();
                json.WriteString("role", message.Role);
                if (message.Content is [{ Type: ContentPart.TextType } only])
                {
                    json.WriteString("content", only.Text);
                }
                else
                {
                    json.WriteStartArray("content");
                    foreach (var part in message.Content)
                    {
                        json.WriteStartObject();
                        json.WriteString("type", part.Type);
                        if (part.Type == ContentPart.ImageUrlType)
                        {
                            json.WriteStartObject("image_url");
                            json.WriteString("url", part.ImageUrl);
                            if (part.Detail is { } detail)
                                json.WriteString("detail", detail);
                            json.WriteEndObject();
                        }
                        else
                        {
                            json.WriteString("text", part.Text);
                        }
                        json.WriteEndObject();
                    }
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (invoke.Parameters is { } p)
            {
                if (p.Temperature is { } t) json.WriteNumber("temperature", t);
                if (p.TopP is { } topP) json.WriteNumber("top_p", topP);
                if (p.MaxTokens is { } max) json.WriteNumber("max_tokens", max);
                if (p.Seed is { } seed) json.WriteNumber("seed", seed);
                if (p.PresencePenalty is { } presence) json.WriteNumber("presence_penalty", presence);
                if (p.FrequencyPenalty is { } frequency) json.WriteNumber("frequency_penalty", frequency);
                if (p.Stop is { Count: > 0 } stop)
                {
                    json.WriteStartArray("stop");
                    foreach (var s in stop) json.WriteStringValue(s);
                    json.WriteEndArray();
                }
            }
            if (logprobs)
                json.WriteBoolean("logprobs", true);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    static ModelCallResult Parse(byte[] body, string endpoint, int status)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
                return ModelCallResult.Failure(endpoint, FailureKind.Transient, "malformed", $"malformed response from {endpoint}: no choices", status);
            var choice = choices[0];
            if (!choice.TryGetProperty("message", out var message) || !message.TryGetProperty("content", out var content) ||
                content.ValueKind != JsonValueKind.String)
            {
                return ModelCallResult.Failure(endpoint, FailureKind.Transient, "malformed", $"malformed response from {endpoint}: no message content", status);
            }

            var logprobs = new List<double>();
            if (choice.TryGetProperty("logprobs", out var lp) && lp.ValueKind == JsonValueKind.Object &&
                lp.TryGetProperty("content", out var tokens) && tokens.ValueKind == JsonValueKind.Array)
            {
                foreach (var token in tokens.EnumerateArray())
                {
                    if (token.TryGetProperty("logprob", out var value) && value.ValueKind == JsonValueKind.Number)
                        logprobs.Add(value.GetDouble());
                }
            }

            TokenUsage? usage = null;
            if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object)
            {
                usage = new TokenUsage
                {
                    PromptTokens = Int(u, "prompt_tokens"),
                    CompletionTokens = Int(u, "completion_tokens"),
                    TotalTokens = Int(u, "total_tokens"),
                };
            }

            return new ModelCallResult
            {
                Endpoint = endpoint,
                HttpStatus = status,
                Output = content.GetString(),
                FinishReason = choice.TryGetProperty("finish_reason", out var fr) && fr.ValueKind == JsonValueKind.String ? fr.GetString() : null,
                Confidence = ConfidenceScorer.FromLogprobs(logprobs),
                Usage = usage,
            };
        }
        catch (JsonException exception)
        {
            return ModelCallResult.Failure(endpoint, FailureKind.Transient, "malformed", $"malformed response from {endpoint}: {exception.Message}", status);
        }
    }

    RateLimitHeaders? ReadRateLimit(HttpResponseMessage response, string endpoint)
    {
        var read = RateLimitHeaders.Read(response.Headers);
        foreach (var bad in read?.Unparsable ?? [])
        {
            if (ReportedHeaders.TryAdd($"{endpoint}\n{bad[..bad.IndexOf(':', StringComparison.Ordinal)]}", 0))
                logger.UnparsableRateLimitHeader(endpoint, bad);
        }
        return read;
    }

    static int Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : 0;

    static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
            return delta;
        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    // OpenAI-style {"error":{"message":...}}, else the start of the body.
    static string ErrorMessage(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                    return m.GetString()!;
                if (error.ValueKind == JsonValueKind.String)
                    return error.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall through to the raw text.
        }
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300)).Trim();
        return text.Length == 0 ? "(empty body)" : text;
    }
}
