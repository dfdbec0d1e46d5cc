using System.Net;
using Orchestrator.Callbacks;

namespace Orchestrator.Tests.Callbacks;

/// <summary>The addresses a callback may not reach without an allowance: every range, its edges, and the IPv6 forms of IPv4.</summary>
public sealed class CallbackAddressRulesSpecs
{
    [Theory]
    [InlineData("0.0.0.0", "'this network'")]
    [InlineData("0.255.255.255", "'this network'")]
    [InlineData("10.0.0.1", "private (10.0.0.0/8)")]
    [InlineData("10.255.255.255", "private (10.0.0.0/8)")]
    [InlineData("100.64.0.0", "carrier-grade NAT")]
    [InlineData("100.127.255.255", "carrier-grade NAT")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.255.254", "loopback")]
    [InlineData("169.254.0.1", "link-local")]
    [InlineData("169.254.169.254", "cloud metadata")]
    [InlineData("172.16.0.1", "private (172.16.0.0/12)")]
    [InlineData("172.31.255.255", "private (172.16.0.0/12)")]
    [InlineData("192.168.1.1", "private (192.168.0.0/16)")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("::", "unspecified")]
    [InlineData("::1", "loopback (::1)")]
    [InlineData("fc00::1", "unique-local")]
    [InlineData("fd12:3456::1", "unique-local")]
    [InlineData("fd00:ec2::254", "unique-local")]
    [InlineData("fe80::1", "link-local (fe80::/10)")]
    [InlineData("febf:ffff::1", "link-local (fe80::/10)")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("fec0::1", "site-local")]
    [InlineData("::ffff:127.0.0.1", "IPv4-mapped 127.0.0.1 is loopback")]
    [InlineData("::ffff:10.1.2.3", "IPv4-mapped 10.1.2.3 is private")]
    [InlineData("::ffff:169.254.169.254", "IPv4-mapped 169.254.169.254 is the cloud metadata")]
    [InlineData("::ffff:100.64.1.1", "IPv4-mapped 100.64.1.1 is carrier-grade NAT")]
    [InlineData("::ffff:0.0.0.1", "IPv4-mapped 0.0.0.1 is 'this network'")]
    [InlineData("::127.0.0.1", "IPv4-compatible 127.0.0.1 is loopback")]
    [InlineData("64:ff9b::a9fe:a9fe", "NAT64 169.254.169.254 is the cloud metadata")]
    public void When_an_address_is_local_private_or_special_Should_refuse_it_saying_what_it_is(string address, string expected)
    {
        var refusal = CallbackAddressRules.Refusal(IPAddress.Parse(address));
        Assert.NotNull(refusal);
        Assert.Contains(expected, refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.1.1.1")]
    [InlineData("8.8.8.8")]
    [InlineData("9.255.255.255")]
    [InlineData("11.0.0.0")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("126.255.255.255")]
    [InlineData("128.0.0.1")]
    [InlineData("169.253.255.255")]
    [InlineData("169.255.0.0")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.0")]
    [InlineData("192.167.255.255")]
    [InlineData("192.169.0.0")]
    [InlineData("203.0.114.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("fbff:ffff::1")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    public void When_an_address_is_public_Should_let_it_through(string address)
    {
        var refusal = CallbackAddressRules.Refusal(IPAddress.Parse(address));
        Assert.Null(refusal);
    }
}
