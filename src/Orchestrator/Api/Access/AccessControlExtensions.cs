using System.Globalization;
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
    /// Reads <c>Orchestrator:Api</c> and registers the cross-site guard, authentication, authorization and rate
    /// limiting. Returns the problems that must stop the start-up (empty when none). Whether keys are required is
    /// settled by <see cref="DecideApiAccess"/> once the server listens, unless configuration or the broker already say.
    /// </summary>
    public static IReadOnlyList<string> AddApiAccessControl(this IServiceCollection services, IConfiguration configuration,
        OrchestratorOptions orchestrator)
    {
        var options = configuration.GetSection(ApiAccessOptions.SectionName).Get<ApiAccessOptions>() ?? new ApiAccessOptions();
        var (ring, problems) = ApiKeyRing.From(options);
        if (ring is null)
            return problems;
        if (ApiAccess.KeysRequiredBeforeStart(options, orchestrator.Transport) is (true, var why) && ring.Count == 0)
            return [ApiKeyRing.NoKeysProblem(why)];

        var access = new ApiAccess(options, orchestrator.Transport, ring);
        services.AddSingleton(access);
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
            limiter.AddPolicy(SubmitRateLimit, http => RateLimitPartition.GetTokenBucketLimiter(PartitionKey(http, access), _ =>
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
                    detail: $"{PartitionKey(context.HttpContext, access)} may submit {options.SubmitPermitsPerSecond} requests per second " +
                        $"(bursts of {options.SubmitBurst}); retry after {seconds} s").ExecuteAsync(context.HttpContext);
            };
        });
        return [];
    }

    /// <summary>The cross-site guard, authentication, authorization and rate limiting, in that order, after routing.</summary>
    public static WebApplication UseApiAccessControl(this WebApplication app)
    {
        app.UseMiddleware<CrossSiteRequestGuard>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>
    /// Settles access from the addresses the server actually bound (call it once the server has started) and logs
    /// the outcome. Returns the problems that must stop the process: keys required there but none configured.
    /// </summary>
    public static IReadOnlyList<string> DecideApiAccess(this WebApplication app)
    {
        var access = app.Services.GetRequiredService<ApiAccess>();
        var problems = access.Decide([.. app.Urls]);
        if (access.Decision is { } decision)
        {
            if (decision.KeysRequired)
                app.Logger.ApiKeysRequired(access.Ring.Count, string.Join(", ", access.Ring.Names));
            else
                app.Logger.ApiKeysOff(decision.Why, string.Join(";", decision.Addresses));
        }
        return problems;
    }

    /// <summary>
    /// Whether the caller may read what went wrong (health check descriptions): a caller holding an API key with
    /// the <c>operate</c> scope. With keys off nobody shows a key, so the detail stays in the log.
    /// </summary>
    public static bool HoldsOperateKey(HttpContext http) =>
        http.RequestServices.GetService<ApiAccess>()?.Decision is { KeysRequired: true } &&
        http.User.HasClaim(ApiScopes.ClaimType, ApiScopes.Operate);

    /// <summary><c>GET /api/auth</c> (no key needed): whether keys are required and, for a key sent along, its name and scopes.</summary>
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/auth", (HttpContext http, ApiAccess access) => Results.Ok(new AuthStatus(
                access.Decision?.KeysRequired ?? true,
                http.User.Identity?.IsAuthenticated == true && access.Decision?.KeysRequired != false ? http.User.Identity.Name : null,
                [.. http.User.FindAll(ApiScopes.ClaimType).Select(c => c.Value).Order(StringComparer.Ordinal)])))
            .AllowAnonymous().WithTags("Access").WithName("AuthStatus");
        return app;
    }

    static string PartitionKey(HttpContext http, ApiAccess access) =>
        access.Decision?.KeysRequired == true && http.User.Identity?.IsAuthenticated == true
            ? $"key '{http.User.Identity.Name}'"
            : $"client {http.Connection.RemoteIpAddress}";
}

/// <summary>The answer of <c>GET /api/auth</c>.</summary>
public sealed record AuthStatus(bool KeysRequired, string? Key, IReadOnlyList<string> Scopes);
