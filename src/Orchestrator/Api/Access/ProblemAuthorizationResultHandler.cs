using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Orchestrator.Telemetry;

namespace Orchestrator.Api.Access;

/// <summary>
/// Answers a refused call with RFC 7807 problem details that say what was wrong: 401 with the authentication
/// failure (no key, several keys, an unknown key), 403 naming the scope the endpoint needs and the ones the key has.
/// </summary>
public sealed class ProblemAuthorizationResultHandler(ILogger<ProblemAuthorizationResultHandler> logger) : IAuthorizationMiddlewareResultHandler
{
    readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            // The middleware keeps only a successful result; the handler caches its answer per request, so this is cheap.
            var failure = (await context.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName)).Failure?.Message;
            var detail = failure ?? $"this endpoint needs an API key in the {ApiScopes.HeaderName} header";
            context.Response.Headers.WWWAuthenticate = $"{ApiKeyAuthenticationHandler.SchemeName} header=\"{ApiScopes.HeaderName}\"";
            await Refuse(context, StatusCodes.Status401Unauthorized, "API key missing or not valid", detail);
            return;
        }
        if (authorizeResult.Forbidden)
        {
            var needed = policy.Requirements.OfType<ClaimsAuthorizationRequirement>()
                .SelectMany(r => r.AllowedValues ?? []).Distinct().ToList();
            var held = context.User.FindAll(ApiScopes.ClaimType).Select(c => c.Value).ToList();
            var detail = $"this endpoint needs an API key with scope {string.Join(" or ", needed.Select(s => $"'{s}'"))}; " +
                $"key '{context.User.Identity?.Name}' has {(held.Count == 0 ? "no scope" : string.Join(", ", held))}";
            await Refuse(context, StatusCodes.Status403Forbidden, "API key lacks the scope", detail);
            return;
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    async Task Refuse(HttpContext context, int status, string title, string detail)
    {
        logger.ApiCallRefused(status, detail, context.Request.Method, context.Request.Path);
        await Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(context);
    }
}
