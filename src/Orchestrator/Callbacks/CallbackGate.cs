using System.Net;
using Orchestrator.Contracts;
using Orchestrator.Submission;

namespace Orchestrator.Callbacks;

/// <summary>
/// Whether a request's callback URL may be called, decided at admission without any DNS lookup: pure code. The
/// allowlist and the IP-literal rules run here; a host name's addresses are checked at every connection
/// (<see cref="CallbackHttp"/>), where a name that resolves to a refused address fails the delivery.
/// </summary>
public static class CallbackGate
{
    /// <summary>Longer URLs are refused: a callback URL is an address, not a payload.</summary>
    public const int MaxUrlLength = 2048;

    /// <summary>The field a refusal names.</summary>
    public const string Field = "callback.url";

    /// <summary>The problems of the request's callback; empty when it has none or it may be called.</summary>
    public static IReadOnlyList<FieldError> Check(CallbackTarget? callback, CallbackOptions options) =>
        callback is null ? [] : Problem(callback.Url, options) is { } problem ? [new FieldError(Field, problem)] : [];

    /// <summary>Why <paramref name="url"/> may not be called, or null when it may.</summary>
    public static string? Problem(string? url, CallbackOptions options)
    {
        if (string.IsNullOrWhiteSpace(url))
            return "a callback needs a url";
        if (url.Length > MaxUrlLength)
            return $"the url is {url.Length} characters; at most {MaxUrlLength} are allowed";
        if (options.SigningKey() is null)
            return $"this orchestrator sends no callbacks: {CallbackOptions.SectionName}:SigningSecret is not set";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.IdnHost))
            return $"'{Cut(url)}' is not an absolute http(s) URL";
        if (!string.IsNullOrEmpty(uri.UserInfo))
            return "the url must not carry a user name or password; the signature authenticates the orchestrator";
        if (!string.IsNullOrEmpty(uri.Fragment))
            return "the url must not have a fragment (#...)";

        if (IsAllowed(uri, options))
            return null;
        if (options.AllowedHosts.Count > 0)
            return $"host '{uri.IdnHost}' is not one of {CallbackOptions.SectionName}:AllowedHosts ({string.Join(", ", options.AllowedHosts)})";
        if (uri.Scheme != Uri.UriSchemeHttps)
            return $"the url must be https (got {uri.Scheme}); http is allowed only for hosts in {CallbackOptions.SectionName}:AllowedHosts";
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal)
            && CallbackAddressRules.Refusal(literal) is { } refusal)
        {
            return $"{refusal}; such addresses are allowed only for hosts in {CallbackOptions.SectionName}:AllowedHosts";
        }
        if (uri.HostNameType == UriHostNameType.Dns && IsLocalName(uri.IdnHost))
            return $"host '{uri.IdnHost}' names this machine or its network; allowed only for hosts in {CallbackOptions.SectionName}:AllowedHosts";
        return null;
    }

    /// <summary>The URL's host is listed in <see cref="CallbackOptions.AllowedHosts"/> (port ignored).</summary>
    public static bool IsAllowed(Uri uri, CallbackOptions options) => IsAllowedHost(uri.IdnHost, options);

    /// <summary><paramref name="host"/> (a name, or an IP literal with or without brackets) is listed in <see cref="CallbackOptions.AllowedHosts"/>.</summary>
    public static bool IsAllowedHost(string host, CallbackOptions options) =>
        options.AllowedHosts.Exists(h => HostOf(h) is { } allowed && SameHost(allowed, host));

    /// <summary>
    /// The host of an allowlist entry: a name or an IP literal, with or without a port (<c>127.0.0.1:8080</c>,
    /// <c>[::1]:8080</c>), or null when it is neither.
    /// </summary>
    public static string? HostOf(string entry)
    {
        var text = entry.Trim();
        if (text.Length == 0 || text.Contains('/', StringComparison.Ordinal))
            return null;
        if (IPAddress.TryParse(text, out var bare))
            return Normal(bare.ToString());
        return Uri.TryCreate("http://" + text, UriKind.Absolute, out var uri) && uri.PathAndQuery == "/" && string.IsNullOrEmpty(uri.UserInfo)
            ? Normal(uri.IdnHost)
            : null;
    }

    static bool SameHost(string allowed, string host) => string.Equals(allowed, Normal(host), StringComparison.OrdinalIgnoreCase);

    // One spelling per address (::ffff:7f00:1 and [::FFFF:127.0.0.1] alike), lower-case names without a trailing dot.
    static string Normal(string host)
    {
        var bare = host.Trim('[', ']');
        return IPAddress.TryParse(bare, out var address) ? address.ToString() : bare.TrimEnd('.').ToLowerInvariant();
    }

    static bool IsLocalName(string host)
    {
        var name = host.TrimEnd('.').ToLowerInvariant();
        return name is "localhost" || name.EndsWith(".localhost", StringComparison.Ordinal) || name.EndsWith(".local", StringComparison.Ordinal)
            || name.EndsWith(".internal", StringComparison.Ordinal) || !name.Contains('.', StringComparison.Ordinal);
    }

    static string Cut(string value) => value.Length > 60 ? value[..60] + "…" : value;
}
