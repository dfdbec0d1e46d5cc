using Orchestrator.Contracts;

namespace Orchestrator.Workers.ModelClient;

/// <summary>What one call to a model endpoint came to: an answer, or a classified failure.</summary>
public sealed record ModelCallResult
{
    public required string Endpoint { get; init; }
    public int? HttpStatus { get; init; }

    public string? Output { get; init; }
    public string? FinishReason { get; init; }
    public double? Confidence { get; init; }
    public TokenUsage? Usage { get; init; }

    public FailureKind? FailureKind { get; init; }
    public string? Cause { get; init; }
    public string? Reason { get; init; }
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The answer's rate-limit headers, success or error; null when it sent none (or there was no answer).</summary>
    public RateLimitHeaders? RateLimit { get; init; }

    public bool Succeeded => FailureKind is null;

    public static ModelCallResult Failure(string endpoint, FailureKind kind, string cause, string reason, int? status = null, TimeSpan? retryAfter = null) =>
        new() { Endpoint = endpoint, FailureKind = kind, Cause = cause, Reason = reason, HttpStatus = status, RetryAfter = retryAfter };
}
