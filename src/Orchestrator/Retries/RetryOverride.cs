using Orchestrator.Contracts;

namespace Orchestrator.Retries;

/// <summary>
/// Retry settings for one failure cause (such as "timeout" or "http-503"), configured under
/// <c>Orchestrator:Retry:PerCause:{cause}</c>. A value left null falls back to the policy-wide setting.
/// </summary>
public sealed class RetryOverride
{
    /// <summary>Retries allowed for failures with this cause, counted per request; null means only the policy-wide attempt limit applies.</summary>
    public int? MaximumRetries { get; set; }

    /// <summary>The delay before the first retry.</summary>
    public TimeSpan? InitialInterval { get; set; }

    /// <summary>The factor the delay grows by with each retry; at least 1.</summary>
    public double? BackoffCoefficient { get; set; }

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan? MaximumInterval { get; set; }

    /// <summary>The kind the request fails with once this cause's retries are used up; null keeps the failure's own kind.</summary>
    public FailureKind? ExhaustedKind { get; set; }
}
