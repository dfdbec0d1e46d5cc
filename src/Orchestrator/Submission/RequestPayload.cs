using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Contracts;
using Orchestrator.Retries;

namespace Orchestrator.Submission;

/// <summary>What the saga keeps of a request to build every attempt's command: stored as JSON on the saga row.</summary>
public sealed record RequestPayload
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public required IReadOnlyList<ChatMessage> Messages { get; init; }
    public GenerationParameters? Parameters { get; init; }
    public RetryPolicyOverride? Retry { get; init; }

    public static RequestPayload From(InferenceRequested request) =>
        new() { Messages = request.Messages ?? [], Parameters = request.Parameters, Retry = request.Retry };

    /// <summary>The request's own retry limits in the planner's terms, or null.</summary>
    public RetryPolicyRequest? RetryRequest() => Retry is null
        ? null
        : new RetryPolicyRequest(Retry.MaximumAttempts, Retry.InitialIntervalMs, Retry.BackoffCoefficient, Retry.MaximumIntervalMs);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RequestPayload FromJson(string json) =>
        JsonSerializer.Deserialize<RequestPayload>(json, Json) ?? throw new InvalidDataException("empty request payload");

    /// <summary>
    /// SHA-256 over the canonical form of what the model would see (model, messages, parameters, retry policy), so a
    /// re-submission is recognised as the same request whatever its metadata or deadline, and whatever the JSON's
    /// spelling (a string content or one text part, parameters at the top level or under <c>parameters</c>).
    /// </summary>
    /// <remarks>
    /// The canonical form is pinned field by field, not derived from the contract records: a request stored before a
    /// record gained a field must hash the same after (the golden values in RequestPayloadHashSpecs). A field added
    /// since joins the form only when it is set, so requests that do not use it keep their hash.
    /// </remarks>
    public static string Hash(InferenceRequested request)
    {
        var payload = From(request);
        var canonical = new HashedRequest(request.Model, new HashedPayload(
            payload.Messages.Select(m => m is null ? null : new HashedMessage(m.Role, m.Content?.Select(p => p is null ? null : new HashedPart(p.Type, p.Text, p.ImageUrl, p.Detail)).ToList())).ToList(),
            payload.Parameters is { } g ? new HashedParameters(g.Temperature, g.MaxTokens, g.TopP, g.Stop, g.Seed, g.PresencePenalty, g.FrequencyPenalty) : null,
            payload.Retry is { } r ? new HashedRetry(r.MaximumAttempts, r.InitialIntervalMs, r.BackoffCoefficient, r.MaximumIntervalMs) : null));
        var json = JsonSerializer.Serialize(canonical, Json);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
    }

    public static string? MetadataJson(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is null || metadata.Count == 0 ? null : JsonSerializer.Serialize(metadata, Json);

    // The hashed form, in the order and the names the first stored requests were hashed with.
    sealed record HashedRequest(string? Model, HashedPayload Payload);

    sealed record HashedPayload(IReadOnlyList<HashedMessage?> Messages, HashedParameters? Parameters, HashedRetry? Retry);

    sealed record HashedMessage(string? Role, IReadOnlyList<HashedPart?>? Content);

    sealed record HashedPart(
        string? Type,
        string? Text,
        string? ImageUrl,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail);

    sealed record HashedParameters(
        double? Temperature,
        int? MaxTokens,
        double? TopP,
        IReadOnlyList<string>? Stop,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Seed,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? PresencePenalty,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? FrequencyPenalty);

    sealed record HashedRetry(int? MaximumAttempts, int? InitialIntervalMs, double? BackoffCoefficient, int? MaximumIntervalMs);
}
