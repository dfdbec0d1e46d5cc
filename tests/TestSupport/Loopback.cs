using System.Net;
using System.Net.Sockets;

namespace Orchestrator.TestSupport;

/// <summary>The loopback interface the tests and the bench listen on.</summary>
public static class Loopback
{
    /// <summary>A TCP port free on 127.0.0.1 at the moment of asking.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
