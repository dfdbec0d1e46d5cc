using Orchestrator.Contracts;
using Orchestrator.ServiceDefaults;

namespace Orchestrator.Retries;

/// <summary>
/// How failed attempts are retried: exponential backoff with jitter in the shape of Temporal's retry policy,
/// refined per failure cause and, within caps, per request.
/// </summary>
public sealed class RetryPolicyOptions : IValidatedOptions
{
    public const string SectionName = "Orchestrator:Retry";

    /// <summary>The delay before the first retry.</summary>
    public TimeSpan InitialInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The factor the delay grows by with each retry; at least 1.</summary>
    public double BackoffCoefficient { get; set; } = 2.0;

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaximumInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts in total, the first one included (not retries); 0 means unlimited.</summary>
    public int MaximumAttempts { get; set; } = 5;

    /// <summary>How the backoff is randomised.</summary>
    public JitterKind Jitter { get; set; } = JitterKind.Proportional;

    /// <summary>
    /// Failure kinds that are never retried. Configuration binding appends to a list, so configured kinds are added
    /// to these defaults; a default cannot be removed through configuration.
    /// </summary>
    public List<FailureKind> NonRetryableKinds { get; set; } =
        [FailureKind.Permanent, FailureKind.InvalidInput, FailureKind.Rejected, FailureKind.DeadlineExceeded];

    /// <summary>
    /// Overrides by failure cause, matched case-insensitively. The defaults live in the initializer on purpose:
    /// configuration binding merges into this dictionary, so a configured cause adds an entry or adjusts a default one
    /// while the other defaults stay.
    /// </summary>
    public Dictionary<string, RetryOverride> PerCause { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["timeout"] = new() { MaximumRetries = 3, InitialInterval = TimeSpan.FromSeconds(1) },
        ["http-503"] = new() { MaximumRetries = 2, InitialInterval = TimeSpan.FromSeconds(2) },
        // A bad credential rarely heals; one immediate retry covers a token that rotated mid-call.
        ["http-401"] = new() { MaximumRetries = 1, InitialInterval = TimeSpan.Zero, ExhaustedKind = FailureKind.Permanent },
        ["http-403"] = new() { MaximumRetries = 1, InitialInterval = TimeSpan.Zero, ExhaustedKind = FailureKind.Permanent },
    };

    /// <summary>The most attempts a request may ask for; a request asking for more (or for unlimited) gets this.</summary>
    public int MaximumAttemptsCap { get; set; } = 20;

    /// <summary>The longest interval a request may ask for; a request asking for more gets this.</summary>
    public TimeSpan MaximumIntervalCap { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Null when valid, else a message naming the setting.</summary>
    public string? Problem()
    {
        var problem = IntervalsProblem(SectionName, InitialInterval, BackoffCoefficient, MaximumInterval);
        if (problem is not null)
            return problem;
        if (MaximumAttempts < 0)
            return $"{SectionName}:MaximumAttempts must not be negative (got {MaximumAttempts}); 0 means unlimited";
        if (!Enum.IsDefined(Jitter))
            return $"{SectionName}:Jitter must be one of {string.Join(", ", Enum.GetNames<JitterKind>())} (got {Jitter})";
        foreach (var kind in NonRetryableKinds)
        {
            if (!Enum.IsDefined(kind))
                return $"{SectionName}:NonRetryableKinds holds an unknown failure kind ({kind})";
        }
        if (MaximumAttemptsCap < 1)
            return $"{SectionName}:MaximumAttemptsCap must be at least 1 (got {MaximumAttemptsCap})";
        if (MaximumIntervalCap <= TimeSpan.Zero)
            return $"{SectionName}:MaximumIntervalCap must be positive (got {MaximumIntervalCap})";
        foreach (var (cause, value) in PerCause)
        {
            var name = $"{SectionName}:PerCause:{cause}";
            if (string.IsNullOrWhiteSpace(cause))
                return $"{SectionName}:PerCause must not have an empty cause key";
            if (value is null)
                return $"{name} must not be empty";
            if (value.MaximumRetries < 0)
                return $"{name}:MaximumRetries must not be negative (got {value.MaximumRetries})";
            if (value.ExhaustedKind is { } kind && !Enum.IsDefined(kind))
                return $"{name}:ExhaustedKind is an unknown failure kind ({kind})";
            // Checked as they will be used: an override's missing values fall back to the policy's.
            problem = IntervalsProblem(
                name,
                value.InitialInterval ?? InitialInterval,
                value.BackoffCoefficient ?? BackoffCoefficient,
                value.MaximumInterval ?? MaximumInterval);
            if (problem is not null)
                return problem;
        }
        return null;
    }

    static string? IntervalsProblem(string prefix, TimeSpan initial, double coefficient, TimeSpan maximum)
    {
        if (initial < TimeSpan.Zero)
            return $"{prefix}:InitialInterval must not be negative (got {initial})";
        // Written as "not at least 1" so that NaN fails too.
        if (!(coefficient >= 1))
            return $"{prefix}:BackoffCoefficient must be at least 1 (got {coefficient})";
        if (double.IsInfinity(coefficient))
            return $"{prefix}:BackoffCoefficient must be finite (got {coefficient})";
        if (maximum <= TimeSpan.Zero)
            return $"{prefix}:MaximumInterval must be positive (got {maximum})";
        if (maximum < initial)
            return $"{prefix}:MaximumInterval must be at least the InitialInterval (got {maximum} < {initial})";
        return null;
    }
}
