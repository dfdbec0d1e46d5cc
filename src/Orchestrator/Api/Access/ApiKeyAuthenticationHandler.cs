using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Orchestrator.Api.Access;

/// <summary>
/// Authenticates the <c>X-Api-Key</c> header against the <see cref="ApiKeyRing"/>. With keys off every caller is
/// an anonymous principal holding every scope, so the same policies serve both modes. Until access is decided
/// (the server has not yet bound its addresses) keys count as required.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiAccess access)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (access.Decision is { KeysRequired: false })
            return Task.FromResult(Success("anonymous", ApiScopes.All));

        var values = Request.Headers[ApiScopes.HeaderName];
        if (values.Count == 0 || string.IsNullOrEmpty(values[0]))
            return Task.FromResult(AuthenticateResult.NoResult());
        if (values.Count > 1)
            return Task.FromResult(AuthenticateResult.Fail($"send one {ApiScopes.HeaderName} header, not {values.Count}"));
        return Task.FromResult(access.Ring.Find(values[0]!) is { } key
            ? Success(key.Name, key.Scopes)
            : AuthenticateResult.Fail($"the {ApiScopes.HeaderName} header does not hold a valid API key"));
    }

    static AuthenticateResult Success(string name, IEnumerable<string> scopes)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, name) };
        claims.AddRange(scopes.Select(s => new Claim(ApiScopes.ClaimType, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
