using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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
    /// SHA-256 over the canonical form of what the model would see (model, messages, parameters), so a
    /// re-submission is recognised as the same request whatever its metadata or deadline.
    /// </summary>
    public static string Hash(InferenceRequested request)
    {
        var canonical = JsonSerializer.Serialize(new { request.Model, Payload = From(request) }, Json);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    public static string? MetadataJson(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is null || metadata.Count == 0 ? null : JsonSerializer.Serialize(metadata, Json);
}
