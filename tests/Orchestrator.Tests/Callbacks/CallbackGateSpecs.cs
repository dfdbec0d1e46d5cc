using Orchestrator.Callbacks;
using Orchestrator.Contracts;

namespace Orchestrator.Tests.Callbacks;

/// <summary>A callback URL at admission: syntax, scheme, IP literals and the allowlist, all before any DNS lookup.</summary>
public sealed class CallbackGateSpecs
{
    const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    static CallbackOptions Options(params string[] allowed) => new() { SigningSecret = Secret, AllowedHosts = [.. allowed] };

    [Theory]
    [InlineData("https://example.com/hook")]
    [InlineData("https://example.com:8443/hooks/inference?x=1")]
    [InlineData("https://8.8.8.8/hook")]
    [InlineData("https://[2606:4700:4700::1111]/hook")]
    public void When_no_hosts_are_listed_Should_accept_public_https_urls(string url) =>
        Assert.Null(CallbackGate.Problem(url, Options()));

    [Theory]
    [InlineData("http://example.com/hook", "must be https")]
    [InlineData("ftp://example.com/hook", "not an absolute http(s) URL")]
    [InlineData("/relative/hook", "not an absolute http(s) URL")]
    [InlineData("not a url", "not an absolute http(s) URL")]
    [InlineData("https://user:pw@example.com/hook", "user name or password")]
    [InlineData("https://example.com/hook#part", "fragment")]
    [InlineData("https://127.0.0.1/hook", "127.0.0.1 is loopback")]
    [InlineData("https://10.1.2.3/hook", "private")]
    [InlineData("https://169.254.169.254/latest/meta-data", "cloud metadata")]
    [InlineData("https://100.64.0.7/hook", "carrier-grade NAT")]
    [InlineData("https://0.0.0.0/hook", "'this network'")]
    [InlineData("https://[::1]/hook", "loopback")]
    [InlineData("https://[fd00::1]/hook", "unique-local")]
    [InlineData("https://[fe80::1]/hook", "link-local")]
    [InlineData("https://[::ffff:127.0.0.1]/hook", "IPv4-mapped 127.0.0.1 is loopback")]
    [InlineData("https://[::ffff:a9fe:a9fe]/hook", "IPv4-mapped 169.254.169.254 is the cloud metadata")]
    [InlineData("https://2130706433/hook", "127.0.0.1 is loopback")]
    [InlineData("https://0x7f.1/hook", "127.0.0.1 is loopback")]
    [InlineData("https://localhost/hook", "names this machine")]
    [InlineData("https://api.localhost/hook", "names this machine")]
    [InlineData("https://metadata.google.internal/hook", "names this machine")]
    [InlineData("https://intranet/hook", "names this machine")]
    public void When_no_hosts_are_listed_Should_refuse_what_is_not_public_https_naming_why(string url, string expected)
    {
        var problem = CallbackGate.Problem(url, Options());
        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000/hook", "127.0.0.1")]
    [InlineData("http://127.0.0.1/hook", "127.0.0.1:9000")]
    [InlineData("http://localhost:5000/hook", "LOCALHOST")]
    [InlineData("http://[::1]:5000/hook", "[::1]:5000")]
    [InlineData("http://10.0.0.5/hook", "10.0.0.5")]
    [InlineData("https://hooks.internal.example/x", "hooks.internal.example")]
    public void When_the_host_is_listed_Should_allow_http_and_local_addresses_whatever_the_port(string url, string allowed) =>
        Assert.Null(CallbackGate.Problem(url, Options(allowed)));

    [Theory]
    [InlineData("https://example.com/hook")]
    [InlineData("https://127.0.0.2/hook")]
    [InlineData("http://127.0.0.1.nip.io/hook")]
    public void When_hosts_are_listed_Should_refuse_every_other_host(string url)
    {
        var problem = CallbackGate.Problem(url, Options("127.0.0.1"));
        Assert.NotNull(problem);
        Assert.Contains("is not one of Orchestrator:Callbacks:AllowedHosts (127.0.0.1)", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("::1", "[::1]")]
    [InlineData("[::1]", "::1")]
    [InlineData("0:0:0:0:0:0:0:1", "[::1]:8080")]
    [InlineData("127.0.0.1", "127.0.0.1:9000")]
    [InlineData("Hooks.Example.COM.", "hooks.example.com")]
    public void When_a_connection_names_its_host_Should_match_the_allowlist_in_any_spelling(string host, string allowed) =>
        Assert.True(CallbackGate.IsAllowedHost(host, Options(allowed)));

    [Fact]
    public void When_no_signing_secret_is_set_Should_refuse_every_callback_saying_so()
    {
        var problem = CallbackGate.Problem("https://example.com/hook", new CallbackOptions());
        Assert.Equal("this orchestrator sends no callbacks: Orchestrator:Callbacks:SigningSecret is not set", problem);
    }

    [Fact]
    public void When_a_request_is_checked_Should_name_the_field()
    {
        var error = Assert.Single(CallbackGate.Check(new CallbackTarget { Url = "http://example.com/" }, Options()));
        Assert.Equal("callback.url", error.Field);
        Assert.Empty(CallbackGate.Check(null, Options()));
    }

    [Theory]
    [InlineData("SigningSecret", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "Orchestrator:Callbacks:SigningSecret must start with whsec_")]
    [InlineData("SigningSecret", "whsec_not*base64", "Orchestrator:Callbacks:SigningSecret: the part after whsec_ is not base64")]
    [InlineData("SigningSecret", "whsec_AAAA", "Orchestrator:Callbacks:SigningSecret must hold 24 to 64 bytes")]
    [InlineData("AllowedHosts", "http://example.com/path", "Orchestrator:Callbacks:AllowedHosts:0 must be a host name or an IP literal")]
    [InlineData("MaximumAttempts", "0", "Orchestrator:Callbacks:MaximumAttempts must be at least 1")]
    [InlineData("InitialInterval", "00:00:30", "Orchestrator:Callbacks:InitialInterval must be positive and at most 20 s")]
    public void When_a_setting_is_bad_Should_name_it(string setting, string value, string expected)
    {
        var options = new CallbackOptions { SigningSecret = Secret };
        switch (setting)
        {
            case "SigningSecret": options.SigningSecret = value; break;
            case "AllowedHosts": options.AllowedHosts = [value]; break;
            case "MaximumAttempts": options.MaximumAttempts = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "InitialInterval": options.InitialInterval = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
        }
        var problem = options.Problem();
        Assert.NotNull(problem);
        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void When_the_defaults_apply_Should_be_valid() => Assert.Null(new CallbackOptions().Problem());
}
