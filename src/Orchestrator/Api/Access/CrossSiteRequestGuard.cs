using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Orchestrator.Telemetry;

namespace Orchestrator.Api.Access;

/// <summary>
/// With API keys off every caller may do everything, so what a web page can make the operator's browser send is
/// all that stands between it and the API. Three rules, for keys off only:
/// <list type="bullet">
/// <item>listening on loopback alone, the <c>Host</c> must be <c>localhost</c> or a loopback address (400 otherwise):
/// a page on a name of its own that resolves to 127.0.0.1 (DNS rebinding) would otherwise be same-origin;</item>
/// <item>a state-changing call (anything but GET, HEAD, OPTIONS, TRACE) whose <c>Origin</c> is not this server is
/// refused (403): browsers send <c>Origin</c> on every cross-origin POST, scripts and the CLI send none;</item>
/// <item>a state-changing call carries JSON, JSONL or no body (415 otherwise): <c>text/plain</c>, form and multipart
/// bodies are the ones a page can send cross-site without a CORS preflight.</item>
/// </list>
/// With keys on nothing here applies: authority travels in the <c>X-Api-Key</c> header, which a page on another
/// origin can neither read from the dashboard's storage nor send without a preflight this server never grants; and
/// the rules would break a reverse proxy that forwards the public host or origin. Until access is decided (the
/// server is still binding) every request is answered 503.
/// </summary>
public sealed class CrossSiteRequestGuard(RequestDelegate next, ApiAccess access, ILogger<CrossSiteRequestGuard> logger)
{
    static readonly string[] JsonTypes = ["application/json", "application/jsonl", "application/x-ndjson"];

    public async Task InvokeAsync(HttpContext http)
    {
        var refusal = access.Decision is { } decision
            ? decision.KeysRequired ? null : Check(http.Request, decision.LoopbackOnly)
            : new Refusal(StatusCodes.Status503ServiceUnavailable, "Starting", "the orchestrator is still binding its addresses; retry in a second");
        if (refusal is null)
        {
            await next(http);
            return;
        }
        logger.ApiCallRefused(refusal.Status, refusal.Detail, http.Request.Method, http.Request.Path);
        if (refusal.Status == StatusCodes.Status503ServiceUnavailable)
            http.Response.Headers.RetryAfter = "1";
        await Results.Problem(statusCode: refusal.Status, title: refusal.Title, detail: refusal.Detail).ExecuteAsync(http);
    }

    /// <summary>The refusal for a request to a server with keys off, or null when it may pass.</summary>
    internal static Refusal? Check(HttpRequest request, bool loopbackOnly)
    {
        if (loopbackOnly && !IsLoopbackName(request.Host.Host))
        {
            return new Refusal(StatusCodes.Status400BadRequest, "Host not allowed",
                $"this orchestrator listens on loopback only with API keys off, and answers to localhost, 127.0.0.1 or [::1]; " +
                $"Host '{request.Host}' is refused (a page on another name could reach it through DNS rebinding)");
        }
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
            return null;

        var origin = request.Headers.Origin;
        if (origin.Count > 0 && (origin.Count > 1 || !IsOwnOrigin(origin[0], request)))
        {
            return new Refusal(StatusCodes.Status403Forbidden, "Cross-origin request refused",
                $"with API keys off, a {request.Method} from another origin is refused: Origin '{origin}' is not this server " +
                $"({request.Scheme}://{request.Host}); call it without an Origin header (scripts, the CLI) or from its own dashboard");
        }

        if (!string.IsNullOrEmpty(request.ContentType) ? !IsJson(request.ContentType) : HasBody(request))
        {
            return new Refusal(StatusCodes.Status415UnsupportedMediaType, "Unsupported body",
                $"with API keys off, a {request.Method} carries JSON (application/json), JSONL (application/jsonl, application/x-ndjson) " +
                $"or no body; got {(string.IsNullOrEmpty(request.ContentType) ? "a body without a Content-Type" : $"'{request.ContentType}'")}");
        }
        return null;
    }

    // Any loopback literal passes (127.0.0.2 too): no page can rebind an address, only a name.
    static bool IsLoopbackName(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ||
        (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    static bool IsOwnOrigin(string? origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var from) &&
        Uri.TryCreate($"{request.Scheme}://{request.Host}", UriKind.Absolute, out var own) &&
        Uri.Compare(from, own, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    static bool IsJson(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) &&
        (JsonTypes.Any(t => media.MediaType.Equals(t, StringComparison.OrdinalIgnoreCase)) ||
         (media.Type.Equals("application", StringComparison.OrdinalIgnoreCase) && media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)));

    static bool HasBody(HttpRequest request) =>
        request.ContentLength is > 0 ||
        (request.ContentLength is null && request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);

    /// <summary>A refusal: its status, its problem title and what it says.</summary>
    internal sealed record Refusal(int Status, string Title, string Detail);
}
