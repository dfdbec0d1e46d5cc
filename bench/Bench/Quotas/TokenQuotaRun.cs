using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.SimulatedModel;
using Orchestrator.Workers.Fleet;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.ModelClient;
using Orchestrator.Workers.Resilience;

namespace Orchestrator.Bench.Quotas;

/// <summary>
/// How closely the workers' shared <c>TokensPerMinute</c> holds an endpoint to its quota. One process: a simulated model
/// server, and N workers each with its own <see cref="EndpointLimits"/>, fleet view (fed each other's heartbeats every
/// second, as the fleet queue would) and model client, on the real clock. Each worker runs callers that take room the
/// way the invoke consumer does (TryAcquire, else wait for a change or the time given, at most 1 s), call the model,
/// settle the reservation with the answer's usage and free the slot. The bus, the saga and the database are left out:
/// they do not take part in the quota. The model's own record of when each call arrived, joined with the usage of its
/// answer, gives the tokens it received per sliding and per fixed 60 s window.
/// </summary>
public static class TokenQuotaRun
{
    public static async Task<TokenQuotaResult> RunAsync(TokenQuotaSettings settings, CancellationToken cancel)
    {
        await using var model = await SimulatedModelServer.StartAsync(new SimulatedModelOptions
        {
            LatencyMs = settings.ModelLatencyMs,
            LatencyJitterMs = settings.ModelLatencyMs,
        }, cancellationToken: cancel);
        var endpoint = new EndpointOptions { Name = "sim", BaseUrl = model.BaseAddress.ToString(), TokensPerMinute = settings.TokensPerMinute };
        var clock = TimeProvider.System;
        var heartbeat = TimeSpan.FromSeconds(1);
        var workers = Enumerable.Range(0, settings.Workers).Select(i =>
        {
            var peers = new FleetPeers(Options.Create(new WorkerOptions { WorkerId = $"w{i}", HeartbeatInterval = heartbeat }), clock);
            peers.Listening();
            return (Id: $"w{i}", Peers: peers, Limits: new EndpointLimits(peers, clock));
        }).ToList();

        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var client = new ChatCompletionsClient(http, FailureClassifier.Default, NullLogger<ChatCompletionsClient>.Instance);
        var calls = new System.Collections.Concurrent.ConcurrentBag<(string RequestId, long Estimate, int Used, bool Succeeded)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var started = clock.GetUtcNow();
        var until = started + TimeSpan.FromMinutes(settings.Minutes);

        var beats = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(heartbeat);
            try
            {
                do
                {
                    foreach (var from in workers)
                    {
                        foreach (var to in workers)
                            to.Peers.Heard(new WorkerHeartbeat { WorkerId = from.Id, At = clock.GetUtcNow(), Interval = heartbeat });
                    }
                }
                while (await timer.WaitForNextTickAsync(stop.Token));
            }
            catch (OperationCanceledException)
            {
                // The run is over.
            }
        }, CancellationToken.None);

        var callers = workers.SelectMany(worker => Enumerable.Range(0, settings.CallersPerWorker).Select(caller => Task.Run(async () =>
        {
            var random = new Random(HashCode.Combine(worker.Id, caller, settings.Seed));
            for (var n = 0; clock.GetUtcNow() < until && !stop.IsCancellationRequested; n++)
            {
                var invoke = Invoke($"{worker.Id}-{caller}-{n}", random, settings);
                var estimate = TokenEstimate.For(invoke, endpoint);
                EndpointSlot? slot;
                while ((slot = worker.Limits.TryAcquire(endpoint, estimate, out var retryAt, out _)) is null)
                {
                    var wait = retryAt - clock.GetUtcNow() + TimeSpan.FromMilliseconds(1);
                    await worker.Limits.WaitForChangeAsync(wait > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait, stop.Token);
                    if (clock.GetUtcNow() >= until)
                        return;
                }
                using (slot)
                {
                    var result = await client.CallAsync(endpoint, invoke, requestLogprobs: false, stop.Token);
                    slot.Settle(result.Usage, result.Succeeded);
                    calls.Add((invoke.RequestId, estimate.Total, result.Usage?.TotalTokens ?? 0, result.Succeeded));
                }
            }
        }, stop.Token))).ToList();

        await Task.WhenAll(callers);
        await stop.CancelAsync();
        await beats;

        var arrivals = model.Stats.RecentCalls().Where(c => c.RequestId is not null).ToDictionary(c => c.RequestId!, c => c.At);
        var received = calls.Where(c => arrivals.ContainsKey(c.RequestId)).Select(c => (At: arrivals[c.RequestId], Tokens: (long)c.Used))
            .OrderBy(c => c.At).ToList();
        var window = TimeSpan.FromMinutes(1);
        // The busiest minute at the model: every window that starts at an arrival.
        long busiest = 0, inWindow = 0;
        for (int first = 0, last = 0; first < received.Count; first++)
        {
            while (last < received.Count && received[last].At < received[first].At + window)
                inWindow += received[last++].Tokens;
            busiest = Math.Max(busiest, inWindow);
            inWindow -= received[first].Tokens;
        }
        var minutes = Enumerable.Range(0, settings.Minutes)
            .Select(m => received.Where(c => c.At >= started + (window * m) && c.At < started + (window * (m + 1))).Sum(c => c.Tokens))
            .ToList();
        var total = calls.Count;
        return new TokenQuotaResult(
            started.UtcDateTime, settings, total, calls.Count(c => !c.Succeeded),
            busiest, Math.Round((double)busiest / settings.TokensPerMinute, 3),
            minutes, minutes.Select(m => Math.Round((double)m / settings.TokensPerMinute, 3)).ToList(),
            // After the first minute, the fleet's use of the quota.
            settings.Minutes > 1 ? Math.Round(minutes.Skip(1).Average() / settings.TokensPerMinute, 3) : null,
            total == 0 ? 0 : Math.Round(calls.Sum(c => (double)c.Estimate) / Math.Max(1, calls.Sum(c => (double)c.Used)), 2));
    }

    /// <summary>A prompt of random words (5 letters and a space each) and a random max_tokens.</summary>
    static InvokeModel Invoke(string id, Random random, TokenQuotaSettings settings)
    {
        var words = random.Next(settings.MinPromptWords, settings.MaxPromptWords + 1);
        var text = string.Join(' ', Enumerable.Range(0, words).Select(_ => new string((char)('a' + random.Next(26)), 5)));
        return new InvokeModel
        {
            RequestId = id,
            Attempt = 1,
            Model = "sim",
            Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText(text)] }],
            Parameters = new GenerationParameters { MaxTokens = random.Next(settings.MinMaxTokens, settings.MaxMaxTokens + 1) },
        };
    }
}

public sealed record TokenQuotaSettings(
    int Workers, int TokensPerMinute, int Minutes, int CallersPerWorker, int ModelLatencyMs,
    int MinPromptWords, int MaxPromptWords, int MinMaxTokens, int MaxMaxTokens, int Seed);

/// <summary>
/// <c>BusiestMinuteTokens</c>: the most tokens the model received in any 60 s (sliding, from each arrival), with its ratio
/// to the quota; <c>TokensPerMinute</c>: per fixed minute from the start; <c>Utilisation</c>: the mean of those ratios
/// after the first minute; <c>EstimateToUsage</c>: reserved estimates over reported usage.
/// </summary>
public sealed record TokenQuotaResult(
    DateTime StartedAtUtc, TokenQuotaSettings Settings, int Calls, int FailedCalls, long BusiestMinuteTokens, double BusiestMinuteToQuota,
    IReadOnlyList<long> TokensPerMinute, IReadOnlyList<double> MinuteToQuota, double? Utilisation, double EstimateToUsage);
