using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Orchestrator.Api;
using Orchestrator.Contracts;
using Orchestrator.Hosting;
using Orchestrator.Persistence;
using Orchestrator.StateMachines;

namespace Orchestrator.Cli;

/// <summary>
/// <c>orchestrator demo --requests N [--fault-rate F] [--json] [--timeout S]</c>: an embedded orchestrator with its
/// own fresh SQLite file, N requests through the whole saga, counts by state. Exits 0 only if every request
/// reached a terminal state.
/// </summary>
public static class DemoCommand
{
    sealed record Arguments(int Requests, double FaultRate, bool Json, TimeSpan Timeout, string? Script, int[] RetryInitialMs);

    public static async Task<int> RunAsync(string[] args)
    {
        if (Parse(args) is not { } arguments)
            return 2;

        var dataDirectory = Path.Combine(Path.GetTempPath(), $"orchestrator-demo-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            return await RunAsync(arguments, dataDirectory);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    static async Task<int> RunAsync(Arguments arguments, string dataDirectory)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        CliOutput.LogToStandardError(builder.Logging, builder.Configuration, LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orchestrator:Store"] = nameof(StoreKind.Sqlite),
            ["Orchestrator:Transport"] = nameof(TransportKind.InMemory),
            ["Orchestrator:DataDirectory"] = dataDirectory,
            ["Orchestrator:EmbeddedWorkers"] = "true",
            ["Orchestrator:SimulatedModel"] = "true",
            ["SimulatedModel:FaultRate"] = arguments.FaultRate.ToString(CultureInfo.InvariantCulture),
        });

        await using var simulated = await EmbeddedSimulatedModel.StartIfEnabledAsync(builder.Configuration, CancellationToken.None);
        builder.Services.AddOrchestrator(builder.Configuration);
        using var host = builder.Build();
        await SchemaStartup.MigrateIfEnabledAsync(host.Services, CancellationToken.None);
        await host.StartAsync();

        var stopwatch = Stopwatch.StartNew();
        var run = Guid.NewGuid().ToString("N")[..8];
        // Submitted as the HTTP API submits (an embedded orchestrator has no bus another service could reach).
        await Parallel.ForEachAsync(Enumerable.Range(1, arguments.Requests), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            var submitted = await scope.ServiceProvider.GetRequiredService<Submissions>().SubmitAsync(new InferenceRequested
            {
                RequestId = $"demo-{run}-{i:D6}",
                Model = "sim",
                Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText($"Demo request {i}: say hello. {arguments.Script}")] }],
                SourceService = "demo",
                Retry = arguments.RetryInitialMs.Length == 0 ? null : new RetryPolicyOverride { InitialIntervalMs = arguments.RetryInitialMs[i % arguments.RetryInitialMs.Length] },
            }, ct);
            if (submitted is Submission.Refused refused)
                throw new InvalidOperationException($"demo request {i} was refused: {string.Join("; ", refused.Errors.Select(e => $"{e.Field}: {e.Message}"))}");
        });

        var counts = await WaitForTerminalAsync(host.Services, arguments.Requests, arguments.Timeout);
        stopwatch.Stop();
        counts = counts with { Timers = await TimerLatenessAsync(host.Services) };
        await host.StopAsync();

        var terminal = counts.Terminal;
        Print(arguments, counts, stopwatch.Elapsed);
        if (terminal < arguments.Requests)
        {
            await Console.Error.WriteLineAsync(
                $"demo: only {terminal} of {arguments.Requests} requests reached a terminal state within {arguments.Timeout.TotalSeconds:0} s");
            return 1;
        }
        return 0;
    }

    sealed record Counts(Dictionary<string, long> States, int Attempts, Lateness? Timers = null)
    {
        public long Terminal => States.Where(kv => RequestStates.IsTerminal(kv.Key)).Sum(kv => kv.Value);
    }

    /// <summary>How late retry timers fired: from the attempt rows, fired_at − scheduled_for.</summary>
    sealed record Lateness(int Retries, double P50Ms, double P99Ms, double MaxMs);

    static async Task<Counts> WaitForTerminalAsync(IServiceProvider services, int expected, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var counts = await CountAsync(services);
            if (counts.Terminal >= expected || deadline.Elapsed > timeout)
                return counts;
            await Task.Delay(100);
        }
    }

    static async Task<Counts> CountAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var states = await RequestCounts.ByStateAsync(db, CancellationToken.None);
        var attempts = await db.Attempts.CountAsync();
        return new Counts(states, attempts);
    }

    static async Task<Lateness?> TimerLatenessAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var fired = await db.Attempts.Where(a => a.FiredAt != null && a.ScheduledFor != null)
            .Select(a => new { a.FiredAt, a.ScheduledFor }).ToListAsync();
        if (fired.Count == 0)
            return null;
        var lateness = fired.Select(a => (a.FiredAt!.Value - a.ScheduledFor!.Value).TotalMilliseconds).Order().ToArray();
        double At(double q) => lateness[Math.Min(lateness.Length - 1, (int)Math.Ceiling(q * lateness.Length) - 1)];
        return new Lateness(lateness.Length, At(0.50), At(0.99), lateness[^1]);
    }

    static void Print(Arguments arguments, Counts counts, TimeSpan elapsed)
    {
        long Of(string state) => counts.States.GetValueOrDefault(state);
        Console.WriteLine($"{"state",-16}{"requests",10}");
        foreach (var state in RequestStates.All)
            Console.WriteLine($"{state,-16}{Of(state),10}");
        Console.WriteLine($"{"attempts",-16}{counts.Attempts,10}");
        Console.WriteLine($"{arguments.Requests} requests in {elapsed.TotalSeconds:0.00} s ({arguments.Requests / Math.Max(elapsed.TotalSeconds, 0.001):0} requests/s)");
        if (counts.Timers is { } t)
            Console.WriteLine($"{t.Retries} retry timers fired, lateness p50 {t.P50Ms:0} ms, p99 {t.P99Ms:0} ms, max {t.MaxMs:0} ms");
        if (arguments.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                requests = arguments.Requests,
                succeeded = Of(RequestStates.Succeeded),
                failed = Of(RequestStates.Failed),
                cancelled = Of(RequestStates.Cancelled),
                awaitingReview = Of(RequestStates.AwaitingReview),
                attempts = counts.Attempts,
                elapsedMs = (long)elapsed.TotalMilliseconds,
                retries = counts.Timers?.Retries ?? 0,
                timerLatenessP50Ms = counts.Timers?.P50Ms,
                timerLatenessP99Ms = counts.Timers?.P99Ms,
                timerLatenessMaxMs = counts.Timers?.MaxMs,
            }));
        }
    }

    static Arguments? Parse(string[] args)
    {
        int requests = 200;
        double faultRate = 0;
        var json = false;
        var timeout = (TimeSpan?)null;
        string? script = null;
        int[] retryInitialMs = [];
        for (var i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--requests" when int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1_000_000:
                    requests = n;
                    break;
                case "--fault-rate" when double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f is >= 0 and <= 1:
                    faultRate = f;
                    break;
                case "--timeout" when int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s >= 1:
                    timeout = TimeSpan.FromSeconds(s);
                    break;
                case "--json":
                    json = true;
                    break;
                case "--script" when Next() is { Length: > 0 } text:
                    script = text;
                    break;
                case "--retry-initial-ms" when Next() is { } list && ParseIntervals(list) is { } intervals:
                    retryInitialMs = intervals;
                    break;
                default:
                    Console.Error.WriteLine(
                        $"demo: bad argument '{args[i]}'. Usage: demo --requests N (1-1000000) [--fault-rate F (0-1)] [--json] [--timeout SECONDS] " +
                        "[--script '[[sim: 503, ok]]'] [--retry-initial-ms 2000,5000]");
                    return null;
            }
        }
        return new Arguments(requests, faultRate, json, timeout ?? TimeSpan.FromSeconds(60 + requests / 20.0), script, retryInitialMs);
    }

    static int[]? ParseIntervals(string list)
    {
        var parts = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] > 3_600_000)
                return null;
        }
        return values.Length > 0 ? values : null;
    }
}
