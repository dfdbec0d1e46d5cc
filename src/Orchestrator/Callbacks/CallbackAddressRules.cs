using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Callbacks;

/// <summary>
/// Which addresses a callback may not reach unless its host is explicitly allowed: pure code, no I/O. Checked on the
/// URL's IP literal at admission and on every address a host name resolves to, at every connection.
/// </summary>
public static class CallbackAddressRules
{
    /// <summary>The cloud metadata service (AWS, GCP, Azure, ...), named apart because it holds credentials.</summary>
    public static readonly IPAddress MetadataAddress = IPAddress.Parse("169.254.169.254");

    static readonly (IPNetwork Network, string Name)[] V4 =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "'this network' (0.0.0.0/8)"),
        (IPNetwork.Parse("10.0.0.0/8"), "private (10.0.0.0/8)"),
        (IPNetwork.Parse("100.64.0.0/10"), "carrier-grade NAT (100.64.0.0/10)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback (127.0.0.0/8)"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local (169.254.0.0/16)"),
        (IPNetwork.Parse("172.16.0.0/12"), "private (172.16.0.0/12)"),
        (IPNetwork.Parse("192.168.0.0/16"), "private (192.168.0.0/16)"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast (224.0.0.0/4)"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved (240.0.0.0/4)"),
    ];

    static readonly (IPNetwork Network, string Name)[] V6 =
    [
        (IPNetwork.Parse("::/128"), "unspecified (::)"),
        (IPNetwork.Parse("::1/128"), "loopback (::1)"),
        (IPNetwork.Parse("fc00::/7"), "unique-local (fc00::/7)"),
        (IPNetwork.Parse("fe80::/10"), "link-local (fe80::/10)"),
        (IPNetwork.Parse("fec0::/10"), "site-local (fec0::/10)"),
        (IPNetwork.Parse("ff00::/8"), "multicast (ff00::/8)"),
    ];

    // IPv6 forms that carry an IPv4 address, which is then judged by the IPv4 rules.
    static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    static readonly IPNetwork Compatible = IPNetwork.Parse("::/96");

    /// <summary>Why <paramref name="address"/> may not be called without an allowance, or null when it may.</summary>
    public static string? Refusal(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv4MappedToIPv6)
                return Embedded(address.MapToIPv4(), "IPv4-mapped");
            foreach (var (network, name) in V6)
            {
                if (network.Contains(address))
                    return $"{address} is {name}";
            }
            var bytes = address.GetAddressBytes();
            if (Nat64.Contains(address))
                return Embedded(new IPAddress(bytes.AsSpan(12)), "NAT64");
            if (Compatible.Contains(address))
                return Embedded(new IPAddress(bytes.AsSpan(12)), "IPv4-compatible");
            return null;
        }
        if (address.AddressFamily != AddressFamily.InterNetwork)
            return $"{address} is not an IP address";
        if (address.Equals(MetadataAddress))
            return $"{address} is the cloud metadata service";
        if (address.Equals(IPAddress.Broadcast))
            return $"{address} is the broadcast address";
        foreach (var (network, name) in V4)
        {
            if (network.Contains(address))
                return $"{address} is {name}";
        }
        return null;
    }

    static string? Embedded(IPAddress v4, string form) =>
        Refusal(v4) is { } why ? $"{form} {why}" : null;
}
