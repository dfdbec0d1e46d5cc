using System.Collections.Concurrent;

namespace Orchestrator.Workers.Telemetry;

/// <summary>
/// The tokens this worker's calls used (as the answers' <c>usage</c> reported) over the last minute, by model and
/// endpoint, for its heartbeat: the fleet view adds the workers' figures up and shows them beside the endpoint's
/// <c>TokensPerMinute</c>. Thread-safe.
/// </summary>
public sealed class TokenUsageLog(TimeProvider clock)
{
    static readonly TimeSpan Span = TimeSpan.FromMinutes(1);
    readonly ConcurrentDictionary<(string Model, string Endpoint), ConcurrentQueue<(DateTimeOffset At, int Prompt, int Completion)>> _byEndpoint = new();

    public void Record(string model, string endpoint, Contracts.TokenUsage? usage)
    {
        if (usage is null)
            return;
        var log = _byEndpoint.GetOrAdd((model, endpoint), static _ => new());
        log.Enqueue((clock.GetUtcNow(), usage.PromptTokens, usage.CompletionTokens));
        Prune(log);
    }

    /// <summary>Prompt and completion tokens used in the last minute.</summary>
    public (long Prompt, long Completion) LastMinute(string model, string endpoint)
    {
        if (!_byEndpoint.TryGetValue((model, endpoint), out var log))
            return (0, 0);
        Prune(log);
        var since = clock.GetUtcNow() - Span;
        long prompt = 0, completion = 0;
        foreach (var (at, p, c) in log)
        {
            if (at <= since)
                continue;
            prompt += p;
            completion += c;
        }
        return (prompt, completion);
    }

    void Prune(ConcurrentQueue<(DateTimeOffset At, int Prompt, int Completion)> log)
    {
        var since = clock.GetUtcNow() - Span;
        while (log.TryPeek(out var oldest) && oldest.At <= since)
            log.TryDequeue(out _);
    }
}
