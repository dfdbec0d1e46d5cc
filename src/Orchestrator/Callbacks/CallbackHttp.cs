using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Orchestrator.Callbacks;

/// <summary>
/// The HTTP client callbacks are sent with, made for untrusted URLs: no proxy, no redirects, no cookies, and a
/// connect step that resolves the host itself and refuses every address <see cref="CallbackAddressRules"/> refuses,
/// unless the host is in <c>AllowedHosts</c>. The check runs on every new connection, so a name that changes its
/// address after admission (DNS rebinding) is caught where it matters.
/// </summary>
public sealed class CallbackHttp : IDisposable
{
    readonly CallbackOptions _options;

    public CallbackHttp(IOptions<CallbackOptions> options)
    {
        _options = options.Value;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = _options.Timeout,
            MaxConnectionsPerServer = _options.MaxConcurrencyPerHost,
            // A name's addresses are judged again at least this often.
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectAsync,
        };
        Client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        Client.DefaultRequestHeaders.UserAgent.ParseAdd("inference-orchestrator-callbacks/1");
    }

    public HttpClient Client { get; }

    async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var allowed = CallbackGate.IsAllowedHost(host, _options);
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? new[] { literal }
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var refusals = new List<string>();
        var permitted = new List<IPAddress>();
        foreach (var address in addresses)
        {
            if (!allowed && CallbackAddressRules.Refusal(address) is { } why)
                refusals.Add(why);
            else
                permitted.Add(address);
        }
        if (permitted.Count == 0)
        {
            throw new CallbackAddressRefusedException(refusals.Count == 0
                ? $"host '{host}' has no address"
                : $"host '{host}' resolves only to refused addresses ({string.Join("; ", refusals)}); allowed only for hosts in {CallbackOptions.SectionName}:AllowedHosts");
        }

        Exception? last = null;
        foreach (var address in permitted)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException exception)
            {
                socket.Dispose();
                last = exception;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>Every address of a callback's host is one callbacks may not reach.</summary>
public sealed class CallbackAddressRefusedException(string message) : Exception(message);
