using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Orchestrator.Hosting;
using Orchestrator.Telemetry;

namespace Orchestrator.Api.Access;

/// <summary>API keys with scopes, the policies that check them, and the per-key rate limit on submit.</summary>
public static class AccessControlExtensions
{
    public const string SubmitRateLimit = "submit";

    /// <summary>
    /// Reads <c>Orchestrator:Api</c>, decides whether keys are required and registers authentication,
    /// authorization and rate limiting. Returns the problems that must stop the start-up (empty when none).
    /// </summary>
    public static IReadOnlyList<string> AddApiAccessControl(this IServiceCollection services, IConfiguration configuration,
        OrchestratorOptions orchestrator, string urls)
    {
        var options = configuration.GetSection(ApiAccessOptions.SectionName).Get<ApiAccessOptions>() ?? new ApiAccessOptions();
        var (required, why) = KeysRequired(options, orchestrator, urls);
        var (ring, problems) = ApiKeyRing.From(options, required);
        if (ring is null)
            return problems;

        services.AddSingleton(ring);
        services.AddSingleton(new ApiAccessDecision(required, why, urls));
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        // An endpoint that names no policy needs "operate": a new endpoint is closed until it says otherwise.
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim(ApiScopes.ClaimType, ApiScopes.Operate).Build())
            .AddPolicy(ApiScopes.Submit, p => p.RequireAuthenticatedUser().RequireClaim(ApiScopes.ClaimType, ApiScopes.Submit, ApiScopes.Operate))
            .AddPolicy(ApiScopes.Operate, p => p.RequireAuthenticatedUser().RequireClaim(ApiScopes.ClaimType, ApiScopes.Operate));
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(SubmitRateLimit, http => RateLimitPartition.GetTokenBucketLimiter(PartitionKey(http, required), _ =>
                new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.SubmitBurst,
                    TokensPerPeriod = options.SubmitPermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many submissions",
                    detail: $"{PartitionKey(context.HttpContext, required)} may submit {options.SubmitPermitsPerSecond} requests per second " +
                        $"(bursts of {options.SubmitBurst}); retry after {seconds} s").ExecuteAsync(context.HttpContext);
            };
        });
        return [];
    }

    /// <summary>Authentication, authorization and rate limiting, in that order, after routing.</summary>
    public static WebApplication UseApiAccessControl(this WebApplication app)
    {
        var decision = app.Services.GetRequiredService<ApiAccessDecision>();
        var ring = app.Services.GetRequiredService<ApiKeyRing>();
        if (decision.Required)
            app.Logger.ApiKeysRequired(ring.Count, string.Join(", ", ring.Names));
        else
            app.Logger.ApiKeysOff(decision.Why, decision.Urls);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    /// <summary><c>GET /api/auth</c> (no key needed): whether keys are required and, for a key sent along, its name and scopes.</summary>
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/auth", (HttpContext http, ApiAccessDecision decision) => Results.Ok(new AuthStatus(
                decision.Required,
                http.User.Identity?.IsAuthenticated == true && decision.Required ? http.User.Identity.Name : null,
                [.. http.User.FindAll(ApiScopes.ClaimType).Select(c => c.Value).Order(StringComparer.Ordinal)])))
            .AllowAnonymous().WithTags("Access").WithName("AuthStatus");
        return app;
    }

    /// <summary>Keys are off by default only for an embedded orchestrator (in-memory bus) that listens on loopback alone.</summary>
    internal static (bool Required, string Why) KeysRequired(ApiAccessOptions options, OrchestratorOptions orchestrator, string urls)
    {
        if (options.RequireKeys is { } explicitly)
            return (explicitly, explicitly ? "required by configuration" : "turned off by configuration (Orchestrator:Api:RequireKeys=false)");
        if (orchestrator.Transport != TransportKind.InMemory)
            return (true, "required: the orchestrator runs with a message broker");
        var open = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(u => !IsLoopback(u)).ToList();
        return open.Count > 0
            ? (true, $"required: the orchestrator listens beyond loopback ({string.Join(", ", open)})")
            : (false, "embedded mode listening on loopback only");
    }

    static bool IsLoopback(string url)
    {
        // Kestrel's wildcards ("http://*:80", "http://+:80") are not URIs with a host; treat anything unparsable as open.
        if (!Uri.TryCreate(url.Replace("://*", "://wildcard.invalid", StringComparison.Ordinal).Replace("://+", "://wildcard.invalid", StringComparison.Ordinal),
                UriKind.Absolute, out var uri))
        {
            return false;
        }

        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            return true;
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    static string PartitionKey(HttpContext http, bool required) =>
        required && http.User.Identity?.IsAuthenticated == true
            ? $"key '{http.User.Identity.Name}'"
            : $"client {http.Connection.RemoteIpAddress}";
}

/// <summary>Whether this process requires API keys, and why, as decided at start-up.</summary>
public sealed record ApiAccessDecision(bool Required, string Why, string Urls);

/// <summary>The answer of <c>GET /api/auth</c>.</summary>
public sealed record AuthStatus(bool KeysRequired, string? Key, IReadOnlyList<string> Scopes);
