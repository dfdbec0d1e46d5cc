using Microsoft.AspNetCore.Http;
using Orchestrator.Api.Access;

namespace Orchestrator.Tests.Access;

/// <summary>
/// What a web page can make the operator's browser send to an orchestrator with keys off, and what scripts, the CLI
/// and the dashboard send: the first refused, the second served.
/// </summary>
public sealed class CrossSiteRequestGuardSpecs
{
    static HttpRequest Request(string method, string host = "127.0.0.1:5080", string? origin = null, string? contentType = null, long? length = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Scheme = "http";
        http.Request.Host = new HostString(host);
        http.Request.Path = "/api/requests/r-1/cancel";
        if (origin is not null)
            http.Request.Headers.Origin = origin;
        http.Request.ContentType = contentType;
        http.Request.ContentLength = length;
        return http.Request;
    }

    [Theory]
    // A page elsewhere posting what needs no CORS preflight: text/plain, a form, multipart, nothing at all.
    [InlineData("POST", "http://evil.example", "text/plain", 2L, 403)]
    [InlineData("POST", "http://evil.example", null, null, 403)]
    [InlineData("POST", "http://evil.example", "application/json", 2L, 403)]
    [InlineData("POST", "null", null, null, 403)]
    [InlineData("DELETE", "http://127.0.0.1:5081", null, null, 403)]
    [InlineData("POST", "https://127.0.0.1:5080", null, null, 403)]
    // No Origin (a script, curl, the CLI), but a body a form could send.
    [InlineData("POST", null, "text/plain", 2L, 415)]
    [InlineData("POST", null, "text/plain", 0L, 415)]
    [InlineData("POST", null, "application/x-www-form-urlencoded", 9L, 415)]
    [InlineData("PUT", null, "multipart/form-data; boundary=x", 9L, 415)]
    [InlineData("POST", null, null, 2L, 415)]
    public void Should_refuse_a_state_changing_call_a_page_on_another_origin_could_make(string method, string? origin, string? contentType, long? length, int status)
    {
        var refusal = CrossSiteRequestGuard.Check(Request(method, origin: origin, contentType: contentType, length: length), loopbackOnly: true);
        Assert.Equal(status, refusal?.Status);
    }

    [Theory]
    // The CLI and curl: JSON or nothing, no Origin.
    [InlineData("POST", null, "application/json; charset=utf-8", 2L)]
    [InlineData("POST", null, null, null)]
    [InlineData("POST", null, null, 0L)]
    [InlineData("PATCH", null, "application/merge-patch+json", 2L)]
    [InlineData("POST", null, "application/jsonl", 9L)]
    [InlineData("POST", null, "application/x-ndjson", 9L)]
    // The dashboard: its own origin (as the browser writes it), JSON or no body.
    [InlineData("POST", "http://127.0.0.1:5080", "application/json", 2L)]
    [InlineData("POST", "http://127.0.0.1:5080", null, null)]
    // Reads are never refused for their origin: a cross-origin page cannot read the answer without CORS.
    [InlineData("GET", "http://evil.example", "text/plain", null)]
    public void Should_serve_what_scripts_the_CLI_and_the_dashboard_send(string method, string? origin, string? contentType, long? length) =>
        Assert.Null(CrossSiteRequestGuard.Check(Request(method, origin: origin, contentType: contentType, length: length), loopbackOnly: true));

    [Theory]
    [InlineData("evil.example", 400)]
    [InlineData("evil.example:5080", 400)]
    [InlineData("localhost.evil.example:5080", 400)]
    [InlineData("127.0.0.1.nip.io:5080", 400)]
    [InlineData("localhost:5080", null)]
    [InlineData("LOCALHOST", null)]
    [InlineData("127.0.0.1:5080", null)]
    [InlineData("[::1]:5080", null)]
    [InlineData("127.0.0.2:5080", null)]
    public void Should_answer_only_to_loopback_names_when_listening_on_loopback_only(string host, int? status)
    {
        Assert.Equal(status, CrossSiteRequestGuard.Check(Request("GET", host), loopbackOnly: true)?.Status);
        Assert.Equal(status, CrossSiteRequestGuard.Check(Request("POST", host, contentType: "application/json", length: 2), loopbackOnly: true)?.Status);
        // Keys off on purpose beyond loopback: the names it is reached by are the operator's business.
        Assert.Null(CrossSiteRequestGuard.Check(Request("GET", host), loopbackOnly: false));
    }

    [Fact]
    public void Should_say_what_was_refused_and_what_to_send_instead()
    {
        var origin = CrossSiteRequestGuard.Check(Request("POST", origin: "http://evil.example", contentType: "text/plain", length: 2), loopbackOnly: true)!;
        Assert.Equal("with API keys off, a POST from another origin is refused: Origin 'http://evil.example' is not this server " +
            "(http://127.0.0.1:5080); call it without an Origin header (scripts, the CLI) or from its own dashboard", origin.Detail);
        var body = CrossSiteRequestGuard.Check(Request("POST", contentType: "text/plain", length: 2), loopbackOnly: true)!;
        Assert.Equal("with API keys off, a POST carries JSON (application/json), JSONL (application/jsonl, application/x-ndjson) " +
            "or no body; got 'text/plain'", body.Detail);
        var host = CrossSiteRequestGuard.Check(Request("GET", "evil.example"), loopbackOnly: true)!;
        Assert.Contains("Host 'evil.example' is refused", host.Detail, StringComparison.Ordinal);
    }
}
