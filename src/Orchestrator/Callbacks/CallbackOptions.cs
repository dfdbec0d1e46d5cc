using Orchestrator.ServiceDefaults;

namespace Orchestrator.Callbacks;

/// <summary>
/// Completion callbacks (section <c>Orchestrator:Callbacks</c>): how they are signed, which hosts they may reach, and
/// how long a delivery is retried. docs/callbacks.md has the whole story.
/// </summary>
public sealed class CallbackOptions : IValidatedOptions
{
    public const string SectionName = "Orchestrator:Callbacks";

    /// <summary>Standard Webhooks prefix of a signing secret: <c>whsec_</c> and the key in base64.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>
    /// The key every callback is signed with: <c>whsec_</c> followed by 24 to 64 random bytes in base64. Without it a
    /// request that asks for a callback is refused (nothing is ever sent unsigned).
    /// </summary>
    public string? SigningSecret { get; set; }

    /// <summary>Keys being rotated out: each signs too, so receivers can switch at their own pace.</summary>
    public List<string> PreviousSigningSecrets { get; set; } = [];

    /// <summary>
    /// Host names or IP literals (port ignored) callbacks may reach over http and at loopback or private addresses.
    /// When set, only these hosts are accepted at all.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Delivery attempts of one event in all, the first included.</summary>
    public int MaximumAttempts { get; set; } = 8;

    /// <summary>How long after the event a delivery is still tried.</summary>
    public TimeSpan MaximumAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The wait before the first retry, before jitter (between half of it and all of it is waited).</summary>
    public TimeSpan InitialInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How much each wait grows over the previous one.</summary>
    public double BackoffCoefficient { get; set; } = 6;

    /// <summary>The longest wait between two attempts.</summary>
    public TimeSpan MaximumInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>One attempt's whole time: connect, send, and the receiver's answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries this process runs at once, over all receivers.</summary>
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>Deliveries this process runs at once to one host, so a slow receiver cannot take every slot.</summary>
    public int MaxConcurrencyPerHost { get; set; } = 4;

    /// <summary>How often each orchestrator looks for due deliveries when it knows of none.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The signing key: the base64-decoded part after <c>whsec_</c>; null when no secret is set.</summary>
    public byte[]? SigningKey() => string.IsNullOrWhiteSpace(SigningSecret) ? null : Key(SigningSecret);

    /// <summary>Every key that signs, the current one first.</summary>
    public IReadOnlyList<byte[]> SigningKeys() =>
        SigningKey() is { } key ? [key, .. PreviousSigningSecrets.Where(s => !string.IsNullOrWhiteSpace(s)).Select(Key)] : [];

    public string? Problem()
    {
        if (SecretProblem(SigningSecret, $"{SectionName}:SigningSecret") is { } secret)
            return secret;
        for (var i = 0; i < PreviousSigningSecrets.Count; i++)
        {
            if (SecretProblem(PreviousSigningSecrets[i], $"{SectionName}:PreviousSigningSecrets:{i}") is { } previous)
                return previous;
        }
        if (PreviousSigningSecrets.Count > 0 && string.IsNullOrWhiteSpace(SigningSecret))
            return $"{SectionName}:PreviousSigningSecrets needs {SectionName}:SigningSecret, the current key";
        for (var i = 0; i < AllowedHosts.Count; i++)
        {
            if (CallbackGate.HostOf(AllowedHosts[i]) is null)
                return $"{SectionName}:AllowedHosts:{i} must be a host name or an IP literal (got '{AllowedHosts[i]}')";
        }
        if (MaximumAttempts < 1)
            return $"{SectionName}:MaximumAttempts must be at least 1 (got {MaximumAttempts})";
        if (MaximumAge <= TimeSpan.Zero)
            return $"{SectionName}:MaximumAge must be positive (got {MaximumAge})";
        if (InitialInterval <= TimeSpan.Zero || InitialInterval > TimeSpan.FromSeconds(20))
            return $"{SectionName}:InitialInterval must be positive and at most 20 s, so the first retry comes within it (got {InitialInterval})";
        if (!(BackoffCoefficient >= 1 && double.IsFinite(BackoffCoefficient)))
            return $"{SectionName}:BackoffCoefficient must be a finite number, at least 1 (got {BackoffCoefficient})";
        if (MaximumInterval < InitialInterval)
            return $"{SectionName}:MaximumInterval must be at least InitialInterval (got {MaximumInterval})";
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
            return $"{SectionName}:Timeout must be positive and at most 5 minutes (got {Timeout})";
        if (MaxConcurrency < 1)
            return $"{SectionName}:MaxConcurrency must be at least 1 (got {MaxConcurrency})";
        if (MaxConcurrencyPerHost < 1)
            return $"{SectionName}:MaxConcurrencyPerHost must be at least 1 (got {MaxConcurrencyPerHost})";
        if (PollInterval < TimeSpan.FromMilliseconds(10))
            return $"{SectionName}:PollInterval must be at least 10 ms (got {PollInterval})";
        return null;
    }

    static string? SecretProblem(string? secret, string key)
    {
        if (string.IsNullOrWhiteSpace(secret))
            return null;
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
            return $"{key} must start with {SecretPrefix} followed by the key in base64";
        try
        {
            var bytes = Key(secret);
            return bytes.Length is < 24 or > 64 ? $"{key} must hold 24 to 64 bytes after {SecretPrefix} (got {bytes.Length})" : null;
        }
        catch (FormatException)
        {
            return $"{key}: the part after {SecretPrefix} is not base64";
        }
    }

    static byte[] Key(string secret) => Convert.FromBase64String(secret[SecretPrefix.Length..]);
}
