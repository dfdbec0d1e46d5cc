using Orchestrator.Workers.Resilience;

namespace Orchestrator.Workers.Hosting;

/// <summary>One OpenAI-compatible chat-completions endpoint.</summary>
public sealed class EndpointOptions
{
    /// <summary>Shown in the attempts table; defaults to the URL's host and port.</summary>
    public string? Name { get; set; }

    /// <summary>The server root: <c>{BaseUrl}/v1/chat/completions</c> is called.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>Sent as a bearer token when set.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The environment variable that holds the API key, when <see cref="ApiKey"/> is not set (keeps secrets out of files).</summary>
    public string? ApiKeyEnvironmentVariable { get; set; }

    /// <summary>Lower is tried first; endpoints of equal priority keep their order in the list. Default 0.</summary>
    public int Priority { get; set; }

    /// <summary>This endpoint's changes to <c>Workers:CircuitBreaker</c>, setting by setting.</summary>
    public CircuitBreakerOverride? CircuitBreaker { get; set; }

    /// <summary>Calls to this endpoint one worker process makes at once at most; null = only the worker's concurrency limit.</summary>
    public int? MaxInFlight { get; set; }

    /// <summary>
    /// Calls per minute the whole fleet makes to this endpoint at most (the provider's per-key quota); null = no limit.
    /// Each worker takes an equal share, by the live workers it hears from.
    /// </summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>
    /// Tokens per minute the whole fleet sends this endpoint at most (the provider's per-key token quota); null = no
    /// limit. Shared like <see cref="RequestsPerMinute"/> and counted over <see cref="RateLimitWindow"/>: a call reserves
    /// its estimate (<see cref="TokenEstimate"/>) from its start, corrected to the answer's <c>usage.total_tokens</c> when
    /// it ends (a failed call without usage keeps its prompt estimate). A request whose estimate is above this quota can
    /// never be sent here; when no endpoint of its model can take it, it fails at once, permanently.
    /// </summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>
    /// The answer's size reserved against <see cref="TokensPerMinute"/> for a request that sets no <c>max_tokens</c>.
    /// Not sent to the endpoint. Default 1024.
    /// </summary>
    public int DefaultMaxTokens { get; set; } = 1024;

    /// <summary>The window <see cref="RequestsPerMinute"/> and <see cref="TokensPerMinute"/> are counted over: e.g. 10 s allows a sixth of them per 10 s. Default 1 minute.</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The model name the endpoint knows, when it differs from ours.</summary>
    public string? RemoteModel { get; set; }

    /// <summary>Total time allowed for one call, headers and body.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed until the response headers arrive; null = the total timeout.</summary>
    public TimeSpan? HeadersTimeout { get; set; }

    /// <summary>The bearer token sent: <see cref="ApiKey"/>, else the variable <see cref="ApiKeyEnvironmentVariable"/> names.</summary>
    public string? ResolvedApiKey =>
        !string.IsNullOrEmpty(ApiKey) ? ApiKey
        : string.IsNullOrEmpty(ApiKeyEnvironmentVariable) ? null
        : Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable);

    public string DisplayName => Name ?? (Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) ? uri.Authority : BaseUrl);
}
