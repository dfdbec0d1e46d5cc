using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;

namespace Orchestrator.Chaos;

/// <summary>
/// What the independent subscriber received, per (request, run): the run is the outcome's MessageId, which the
/// orchestrator derives from the request id, generation and run. Two deliveries of one pair are the same message
/// when their kind (the exchange) and content (the envelope's <c>message</c>, without the transport's headers) are
/// equal: a redelivery, counted raw and reported. Two different messages for one pair are a duplicate terminal.
/// </summary>
public sealed class OutcomeTally(string idPrefix)
{
    readonly ConcurrentDictionary<string, RequestOutcomes> _byRequest = new(StringComparer.Ordinal);
    long _deliveries;
    long _unreadable;

    /// <summary>Every delivery of an outcome of this run, redeliveries included.</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);

    /// <summary>Deliveries whose body was not a MassTransit envelope with a request id.</summary>
    public long Unreadable => Interlocked.Read(ref _unreadable);

    public IReadOnlyDictionary<string, RequestOutcomes> ByRequest => _byRequest;

    /// <summary>(request, run) pairs that received two or more different terminal messages.</summary>
    public int DuplicateTerminal => _byRequest.Values.Sum(r => r.Snapshot().DuplicateRuns);

    /// <summary>Deliveries of a message already received (same pair, kind and content).</summary>
    public int Redeliveries => _byRequest.Values.Sum(r => r.Snapshot().Redeliveries);

    public void Record(string exchange, ReadOnlySpan<byte> body)
    {
        string? requestId;
        string? messageId;
        string content;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var envelope = JsonDocument.ParseValue(ref reader);
            messageId = envelope.RootElement.TryGetProperty("messageId", out var m) ? m.GetString() : null;
            if (!envelope.RootElement.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
            {
                Interlocked.Increment(ref _unreadable);
                return;
            }
            requestId = message.TryGetProperty("requestId", out var r) ? r.GetString() : null;
            content = message.GetRawText();
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            Interlocked.Increment(ref _unreadable);
            return;
        }
        if (requestId is null || messageId is null)
        {
            Interlocked.Increment(ref _unreadable);
            return;
        }
        if (!requestId.StartsWith(idPrefix, StringComparison.Ordinal))
            return; // another run's or another test's outcome
        Interlocked.Increment(ref _deliveries);
        var kind = exchange[(exchange.LastIndexOf(':') + 1)..];
        var hash = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)))[..16];
        _byRequest.GetOrAdd(requestId, _ => new RequestOutcomes()).Add(messageId, kind, hash, content);
    }

    /// <summary>The outcome deliveries of one request, by run (MessageId).</summary>
    public sealed class RequestOutcomes
    {
        readonly Dictionary<string, HashSet<string>> _messagesByRun = new(StringComparer.Ordinal);
        readonly List<string> _contents = [];
        readonly HashSet<string> _kinds = new(StringComparer.Ordinal);
        readonly Lock _gate = new();
        int _raw;

        /// <summary>Each different message received, as kind and content, for the report of a duplicate.</summary>
        public IReadOnlyList<string> Contents
        {
            get
            {
                lock (_gate)
                    return [.. _contents];
            }
        }

        public void Add(string messageId, string kind, string contentHash, string content)
        {
            lock (_gate)
            {
                if (!_messagesByRun.TryGetValue(messageId, out var messages))
                    _messagesByRun[messageId] = messages = new HashSet<string>(StringComparer.Ordinal);
                if (messages.Add($"{kind}/{contentHash}") && _contents.Count < 5)
                    _contents.Add($"{kind} {content}");
                _kinds.Add(kind);
                _raw++;
            }
        }

        /// <summary>
        /// Runs: distinct MessageIds received; DuplicateRuns: runs that received two or more different messages;
        /// Redeliveries: deliveries beyond the first of each distinct message; Kinds: the kinds received, joined by +.
        /// </summary>
        public (int Runs, int DuplicateRuns, int Redeliveries, int Raw, string Kinds) Snapshot()
        {
            lock (_gate)
            {
                var distinct = _messagesByRun.Values.Sum(m => m.Count);
                return (_messagesByRun.Count, _messagesByRun.Values.Count(m => m.Count > 1), _raw - distinct, _raw,
                    string.Join("+", _kinds.Order(StringComparer.Ordinal)));
            }
        }
    }
}
