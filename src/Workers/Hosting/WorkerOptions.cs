using Orchestrator.ServiceDefaults;
using Orchestrator.Workers.Resilience;

namespace Orchestrator.Workers.Hosting;

/// <summary>A worker process's settings (section <c>Workers</c>).</summary>
public sealed class WorkerOptions : IValidatedOptions
{
    public const string SectionName = "Workers";

    /// <summary>Names this worker in the attempts table; defaults to host name and process id.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Model calls this worker makes at once. Calls wait on the network, so this is far above the core count.</summary>
    public int ConcurrencyLimit { get; set; } = 64;

    /// <summary>Invokes the broker hands this worker ahead of time; 0 = the concurrency limit.</summary>
    public int PrefetchCount { get; set; }

    /// <summary>Time allowed to open a connection to an endpoint (all endpoints of this worker).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Ask endpoints for token log-probabilities, from which the confidence score is computed.</summary>
    public bool RequestLogprobs { get; set; } = true;

    /// <summary>Every endpoint's circuit breaker, unless the endpoint overrides a setting.</summary>
    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();

    /// <summary>How often this worker tells the fleet about itself and its endpoints (<see cref="Contracts.WorkerHeartbeat"/>).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest cooldown an endpoint's <c>Retry-After</c> may impose on the fleet; longer ones are cut to this.</summary>
    public TimeSpan MaxCooldown { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a model call runs before the worker tells the saga it started (<see cref="Contracts.AttemptStarted"/>,
    /// which moves the request to Processing and starts its start-to-close timeout). A call answered sooner reports
    /// its start with its result instead, sparing the saga and the broker one message and one transaction per
    /// attempt; Temporal records an activity's start lazily the same way. Zero tells the saga before every call.
    /// </summary>
    public TimeSpan StartedNoticeDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long an invoke may wait in this worker, from when it found every endpoint of its model open or cooling down,
    /// for one to take a call again (a breaker's probe succeeded, a cooldown ended), instead of being refused at once as
    /// <see cref="Contracts.FailureKind.CircuitOpen"/>. The refusal costs the request a round trip through the
    /// orchestrator, and while it is cheap for the worker, a whole backlog refused at once comes back together; held
    /// here, the backlog waits in the broker. A wait that would be longer is refused at once (the orchestrator holds the
    /// request durably instead); so is one past the request's deadline. Keep it well under the orchestrator's
    /// <c>ScheduleToCloseTimeout</c>. Zero refuses at once, as before.
    /// </summary>
    public TimeSpan HoldWhileOpen { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many of this worker's <see cref="ConcurrencyLimit"/> slots held invokes (see <see cref="HoldWhileOpen"/>) may
    /// take at once; past that they are refused as before. Unset: all of them when the worker serves one model, half when
    /// it serves several, so that the invokes of a model whose endpoints are healthy keep flowing.
    /// </summary>
    public int? MaxHeldInvokes { get; set; }

    /// <summary><see cref="MaxHeldInvokes"/>, or its default.</summary>
    public int EffectiveMaxHeldInvokes => MaxHeldInvokes ?? (Models.Count <= 1 ? ConcurrencyLimit : Math.Max(1, ConcurrencyLimit / 2));

    /// <summary>Endpoints per model name: <c>Workers:Models:sim:Endpoints:0:BaseUrl</c>.</summary>
    public Dictionary<string, ModelOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Null when valid, else a message naming the setting.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(WorkerId))
            return $"{SectionName}:WorkerId must not be empty";
        if (ConcurrencyLimit < 1)
            return $"{SectionName}:ConcurrencyLimit must be at least 1 (got {ConcurrencyLimit})";
        if (ConnectTimeout <= TimeSpan.Zero)
            return $"{SectionName}:ConnectTimeout must be positive (got {ConnectTimeout})";
        if (PrefetchCount < 0)
            return $"{SectionName}:PrefetchCount must not be negative (got {PrefetchCount})";
        if (HeartbeatInterval < TimeSpan.FromMilliseconds(100) || HeartbeatInterval > TimeSpan.FromMinutes(5))
            return $"{SectionName}:HeartbeatInterval must be between 100 ms and 5 minutes (got {HeartbeatInterval})";
        if (MaxCooldown <= TimeSpan.Zero)
            return $"{SectionName}:MaxCooldown must be positive (got {MaxCooldown})";
        if (StartedNoticeDelay < TimeSpan.Zero || StartedNoticeDelay > TimeSpan.FromMinutes(1))
            return $"{SectionName}:StartedNoticeDelay must be between 0 and 1 minute (got {StartedNoticeDelay})";
        if (HoldWhileOpen < TimeSpan.Zero || HoldWhileOpen > TimeSpan.FromMinutes(10))
            return $"{SectionName}:HoldWhileOpen must be between 0 and 10 minutes (got {HoldWhileOpen}); 0 refuses at once";
        if (MaxHeldInvokes is { } held && (held < 0 || held > ConcurrencyLimit))
            return $"{SectionName}:MaxHeldInvokes must be between 0 and ConcurrencyLimit ({ConcurrencyLimit}) (got {held})";
        if (CircuitBreaker.Problem($"{SectionName}:CircuitBreaker") is { } breakerProblem)
            return breakerProblem;
        foreach (var (model, options) in Models)
        {
            if (options.Endpoints.Count == 0)
                return $"{SectionName}:Models:{model}:Endpoints must list at least one endpoint";
            // The name is what the attempts table shows and what the breaker is kept by: two alike would be one.
            if (options.Endpoints.GroupBy(e => e.DisplayName, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
                return $"{SectionName}:Models:{model}:Endpoints: two endpoints are named '{twice.Key}'; give each a distinct Name";
            for (var i = 0; i < options.Endpoints.Count; i++)
            {
                var endpoint = options.Endpoints[i];
                var at = $"{SectionName}:Models:{model}:Endpoints:{i}";
                if (!Uri.TryCreate(endpoint.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                    return $"{at}:BaseUrl must be an absolute http(s) URL (got '{endpoint.BaseUrl}')";
                if (endpoint.Timeout <= TimeSpan.Zero)
                    return $"{at}:Timeout must be positive (got {endpoint.Timeout})";
                if (endpoint.HeadersTimeout is { } headers && (headers <= TimeSpan.Zero || headers > endpoint.Timeout))
                    return $"{at}:HeadersTimeout must be positive and at most Timeout (got {headers})";
                if (!string.IsNullOrEmpty(endpoint.ApiKeyEnvironmentVariable) && string.IsNullOrEmpty(endpoint.ApiKey) &&
                    string.IsNullOrEmpty(Environment.GetEnvironmentVariable(endpoint.ApiKeyEnvironmentVariable)))
                {
                    return $"{at}:ApiKeyEnvironmentVariable names '{endpoint.ApiKeyEnvironmentVariable}', which is not set in the environment";
                }

                if (endpoint.MaxInFlight is < 1)
                    return $"{at}:MaxInFlight must be at least 1 (got {endpoint.MaxInFlight})";
                if (endpoint.RequestsPerMinute is < 1)
                    return $"{at}:RequestsPerMinute must be at least 1 (got {endpoint.RequestsPerMinute})";
                if (endpoint.TokensPerMinute is < 1)
                    return $"{at}:TokensPerMinute must be at least 1 (got {endpoint.TokensPerMinute})";
                if (endpoint.DefaultMaxTokens < 1)
                    return $"{at}:DefaultMaxTokens must be at least 1 (got {endpoint.DefaultMaxTokens})";
                if (endpoint.RateLimitWindow < TimeSpan.FromSeconds(1) || endpoint.RateLimitWindow > TimeSpan.FromHours(1))
                    return $"{at}:RateLimitWindow must be between 1 second and 1 hour (got {endpoint.RateLimitWindow})";
                if (endpoint.CircuitBreaker?.Over(CircuitBreaker).Problem($"{at}:CircuitBreaker") is { } endpointBreakerProblem)
                    return endpointBreakerProblem;
            }
        }
        return null;
    }
}
