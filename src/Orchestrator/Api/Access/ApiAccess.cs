using System.Net;
using Orchestrator.Hosting;

namespace Orchestrator.Api.Access;

/// <summary>
/// Who may call the API, settled once Kestrel has bound its addresses: whether keys are required and whether the
/// server listens on loopback alone. Only the bound addresses tell, because a <c>Kestrel:Endpoints</c> setting
/// overrides <c>--urls</c>. Until <see cref="Decide"/> has run, <see cref="Decision"/> is null and every request is
/// answered 503.
/// </summary>
public sealed class ApiAccess(ApiAccessOptions options, TransportKind transport, ApiKeyRing ring)
{
    ApiAccessDecision? _decision;

    public ApiKeyRing Ring => ring;

    /// <summary>The decision, or null before the server has bound its addresses.</summary>
    public ApiAccessDecision? Decision => Volatile.Read(ref _decision);

    /// <summary>
    /// Decides from the addresses the server listens on; returns the problems that must stop the process (keys
    /// required but none configured), empty when none.
    /// </summary>
    public IReadOnlyList<string> Decide(IReadOnlyCollection<string> addresses)
    {
        var (required, why) = KeysRequired(options, transport, addresses);
        if (required && ring.Count == 0)
            return [ApiKeyRing.NoKeysProblem(why)];
        Volatile.Write(ref _decision, new ApiAccessDecision(required, why, LoopbackOnly(addresses), [.. addresses]));
        return [];
    }

    /// <summary>
    /// Whether keys are required whatever the server binds (by configuration, or for a broker), and why; null when
    /// only the bound addresses can tell. Lets a start-up that cannot work stop before anything has started.
    /// </summary>
    public static (bool Required, string Why)? KeysRequiredBeforeStart(ApiAccessOptions options, TransportKind transport)
    {
        if (options.RequireKeys is { } explicitly)
            return (explicitly, explicitly ? "required by configuration" : "turned off by configuration (Orchestrator:Api:RequireKeys=false)");
        if (transport != TransportKind.InMemory)
            return (true, "required: the orchestrator runs with a message broker");
        return null;
    }

    /// <summary>Keys are off by default only for an embedded orchestrator (in-memory bus) that listens on loopback alone.</summary>
    internal static (bool Required, string Why) KeysRequired(ApiAccessOptions options, TransportKind transport, IReadOnlyCollection<string> addresses)
    {
        if (KeysRequiredBeforeStart(options, transport) is { } known)
            return known;
        if (addresses.Count == 0)
            return (true, "required: the addresses the orchestrator listens on are unknown");
        var open = addresses.Where(a => !IsLoopback(a)).ToList();
        return open.Count > 0
            ? (true, $"required: the orchestrator listens beyond loopback ({string.Join(", ", open)})")
            : (false, "embedded mode listening on loopback only");
    }

    /// <summary>Whether every address is a loopback one (and there is at least one).</summary>
    internal static bool LoopbackOnly(IReadOnlyCollection<string> addresses) => addresses.Count > 0 && addresses.All(IsLoopback);

    static bool IsLoopback(string address)
    {
        // Kestrel reports wildcards as "http://[::]:80" or "http://0.0.0.0:80", but configured ones ("http://*:80",
        // "http://+:80") are not URIs with a host; anything unparsable counts as open.
        if (!Uri.TryCreate(address.Replace("://*", "://wildcard.invalid", StringComparison.Ordinal).Replace("://+", "://wildcard.invalid", StringComparison.Ordinal),
                UriKind.Absolute, out var uri))
        {
            return false;
        }

        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            return true;
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }
}
