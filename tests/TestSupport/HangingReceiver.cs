using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Orchestrator.TestSupport;

/// <summary>A receiver on 127.0.0.1 that accepts connections and never answers: a hung service (the callback tests and bench).</summary>
public sealed class HangingReceiver : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly ConcurrentBag<TcpClient> _held = [];
    readonly CancellationTokenSource _stop = new();

    public HangingReceiver()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    _held.Add(await _listener.AcceptTcpClientAsync(_stop.Token));
                }
                catch (Exception)
                {
                    return;
                }
            }
        });
    }

    public int Port { get; }
    public int Connections => _held.Count;
    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var client in _held)
            client.Dispose();
        _stop.Dispose();
    }
}
