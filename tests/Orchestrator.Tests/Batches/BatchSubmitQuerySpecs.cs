using Orchestrator.Batches;
using Orchestrator.Callbacks;

namespace Orchestrator.Tests.Batches;

/// <summary>
/// The query of <c>POST /api/batches</c>, checked before the file is read: each refusal names its parameter, and a
/// callbackUrl meets the rules of a request's callback URL.
/// </summary>
public sealed class BatchSubmitQuerySpecs
{
    const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    static CallbackOptions Options(params string[] allowed) => new() { SigningSecret = Secret, AllowedHosts = [.. allowed] };

    static List<(string Field, string Message)> Check(string? callbackUrl, CallbackOptions options, string? window = null, int? priority = null) =>
        BatchesEndpoints.CheckQuery(window, priority, callbackUrl, options, out _).Select(e => (e.Field, e.Message)).ToList();

    [Theory]
    [InlineData("https://example.com/hooks/batch")]
    [InlineData("https://8.8.8.8/hook")]
    public void Should_accept_a_public_https_callback_url(string url) =>
        Assert.Empty(Check(url, Options()));

    [Fact]
    public void Should_accept_a_batch_without_a_callback() =>
        Assert.Empty(Check(null, Options()));

    [Fact]
    public void Should_accept_an_allowed_host_over_http_at_a_loopback_address() =>
        Assert.Empty(Check("http://127.0.0.1:8080/hook", Options("127.0.0.1")));

    [Theory]
    [InlineData("", "a callback needs a url")]
    [InlineData("http://example.com/hook", "the url must be https (got http)")]
    [InlineData("https://127.0.0.1/hook", "127.0.0.1 is loopback (127.0.0.0/8)")]
    [InlineData("https://169.254.169.254/latest", "169.254.169.254 is the cloud metadata service")]
    [InlineData("https://[::ffff:10.0.0.1]/hook", "IPv4-mapped 10.0.0.1 is private (10.0.0.0/8)")]
    [InlineData("https://intranet/hook", "host 'intranet' names this machine or its network")]
    [InlineData("https://user:pw@example.com/hook", "must not carry a user name or password")]
    public void Should_refuse_a_callback_url_naming_callbackUrl_and_the_reason(string url, string reason)
    {
        var (field, message) = Assert.Single(Check(url, Options()));
        Assert.Equal(BatchesEndpoints.CallbackUrlField, field);
        Assert.Contains(reason, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_host_missing_from_the_allowlist_when_one_is_set()
    {
        var (field, message) = Assert.Single(Check("https://example.com/hook", Options("127.0.0.1")));
        Assert.Equal(("callbackUrl", "host 'example.com' is not one of Orchestrator:Callbacks:AllowedHosts (127.0.0.1)"), (field, message));
    }

    [Fact]
    public void Should_refuse_every_callback_when_no_signing_secret_is_set()
    {
        var (field, message) = Assert.Single(Check("https://example.com/hook", new CallbackOptions()));
        Assert.Equal("callbackUrl", field);
        Assert.Contains("SigningSecret is not set", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_every_bad_parameter_at_once()
    {
        var errors = Check("ftp://example.com/x", Options(), window: "soon", priority: 9);

        Assert.Equal(["completionWindow", "priority", "callbackUrl"], errors.Select(e => e.Field));
    }

    [Fact]
    public void Should_parse_the_completion_window_alongside()
    {
        Assert.Empty(BatchesEndpoints.CheckQuery("24h", 3, "https://example.com/hook", Options(), out var window));
        Assert.Equal(TimeSpan.FromHours(24), window);
    }
}
