using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Orchestrator.TestSupport;

/// <summary>
/// A callback receiver on 127.0.0.1 for the tests and the callbacks bench: records every POST (headers and body as received) and answers by
/// path: <c>/ok/...</c> 200, <c>/flaky/...</c> 500 to the first delivery of each webhook-id and 200 after, <c>/gone/...</c>
/// 410 until <see cref="Heal"/>.
/// </summary>
public sealed class CallbackReceiver : IAsyncDisposable
{
    readonly HttpListener _listener = new();
    readonly Task _loop;
    readonly ConcurrentDictionary<string, int> _seen = new();
    volatile bool _healed;

    public CallbackReceiver()
    {
        Port = Loopback.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }
    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";
    public ConcurrentQueue<ReceivedCallback> Received { get; } = new();

    /// <summary>What was received for <paramref name="path"/>, in order.</summary>
    public IReadOnlyList<ReceivedCallback> For(string path) => Received.Where(r => r.Path == "/" + path).ToList();

    /// <summary>From now on <c>/gone/...</c> answers 200.</summary>
    public void Heal() => _healed = true;

    async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            var at = DateTime.UtcNow;
            var request = context.Request;
            using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var path = request.Url!.AbsolutePath;
            var id = request.Headers["webhook-id"] ?? "";
            var status = path.StartsWith("/flaky/", StringComparison.Ordinal) ? (_seen.AddOrUpdate(id, 1, (_, n) => n + 1) == 1 ? 500 : 200)
                : path.StartsWith("/gone/", StringComparison.Ordinal) && !_healed ? 410
                : 200;
            Received.Enqueue(new ReceivedCallback(path, request.HttpMethod, request.ContentType, request.ContentLength64,
                request.Headers["Transfer-Encoding"], id, request.Headers["webhook-timestamp"] ?? "", request.Headers["webhook-signature"] ?? "", body, status, at));
            context.Response.StatusCode = status;
            context.Response.ContentLength64 = 0;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await Task.WhenAny(_loop, Task.Delay(TimeSpan.FromSeconds(5)));
    }
}

/// <summary>One POST as the receiver saw it, the status it answered, and when it arrived (UTC).</summary>
public sealed record ReceivedCallback(string Path, string Method, string? ContentType, long ContentLength, string? TransferEncoding,
    string WebhookId, string WebhookTimestamp, string WebhookSignature, string Body, int AnsweredStatus, DateTime ReceivedAt);
