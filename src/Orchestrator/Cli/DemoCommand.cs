using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Orchestrator.Contracts;
using Orchestrator.Hosting;
using Orchestrator.Persistence;
using Orchestrator.StateMachines;
using Orchestrator.Submission;

namespace Orchestrator.Cli;

/// <summary>
/// <c>orchestrator demo --requests N [--fault-rate F] [--json] [--timeout S]</c>: an embedded orchestrator with its
/// own fresh SQLite file, N requests through the whole saga, counts by state. Exits 0 only if every request
/// reached a terminal state.
/// </summary>
sealed class DemoCommand : Command
{
    const int DemoMaximumAttempts = 20;

    sealed record Settings(int Requests, double FaultRate, bool Json, TimeSpan Timeout, string? Script, int[] RetryInitialMs, TextWriter Output, TextWriter Error);

    public DemoCommand() : base("demo", "Submit N requests to an embedded orchestrator (its own temporary SQLite file, in-process bus, " +
        "workers and simulated model), wait until all are terminal and print counts by state; exit 0 only if all are")
    {
        var requests = CliOptions.WholeNumber("--requests", "N", "How many requests to submit", minimum: 1, maximum: 1_000_000, defaultValue: 200);
        var faultRate = new Option<double>("--fault-rate")
        {
            Description = "The share of the simulated model's answers that are faults (503, 429, 500, reset); " +
                "above 0, each request may take up to 20 attempts",
            HelpName = "F",
            DefaultValueFactory = _ => 0,
            CustomParser = result => ParseFaultRate(result),
        };
        var json = CliOptions.Flag("--json", "End with one JSON line: {\"requests\",\"succeeded\",\"failed\",...,\"elapsedMs\"} and the retry timers' lateness");
        var timeout = CliOptions.WholeNumber("--timeout", "SECONDS", "How long to wait for every request to be terminal [default: 60 + N/20]", minimum: 1);
        var script = new Option<string>("--script")
        {
            Description = "Appended to every request's text, to script its fate, e.g. '[[sim: 503, ok]]'",
            HelpName = "TEXT",
        };
        script.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { Length: 0 })
                result.AddError("--script must not be empty");
        });
        var retryInitialMs = new Option<int[]>("--retry-initial-ms")
        {
            Description = "Each request's first backoff in ms, taken in turn from the list, e.g. 2000,5000",
            HelpName = "MS,MS...",
            CustomParser = result => ParseIntervals(result),
        };
        Add(requests);
        Add(faultRate);
        Add(json);
        Add(timeout);
        Add(script);
        Add(retryInitialMs);

        SetAction(parse =>
        {
            var count = parse.GetValue(requests)!.Value;
            return RunAsync(new Settings(count, parse.GetValue(faultRate), parse.GetValue(json),
                TimeSpan.FromSeconds(parse.GetValue(timeout) ?? 60 + count / 20.0), parse.GetValue(script), parse.GetValue(retryInitialMs) ?? [],
                parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        });
    }

    static async Task<int> RunAsync(Settings settings)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"orchestrator-demo-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            return await RunAsync(settings, dataDirectory);
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

    static async Task<int> RunAsync(Settings settings, string dataDirectory)
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
            ["SimulatedModel:FaultRate"] = settings.FaultRate.ToString(CultureInfo.InvariantCulture),
        });
        if (settings.FaultRate > 0)
        {
            // The simulated faults are all transient, so the demo shows retries carrying every request through. The
            // default budget (5 attempts, 2 retries of a 503) lets a 30% fault rate fail about 1 request in 130 by
            // bad luck alone; 20 attempts with backoffs of at most 5 s make that practically impossible in time.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Orchestrator:Retry:MaximumAttempts"] = DemoMaximumAttempts.ToString(CultureInfo.InvariantCulture),
                ["Orchestrator:Retry:MaximumInterval"] = "00:00:05",
                ["Orchestrator:Retry:PerCause:http-503:MaximumRetries"] = (DemoMaximumAttempts - 1).ToString(CultureInfo.InvariantCulture),
                ["Orchestrator:Retry:PerCause:http-503:MaximumInterval"] = "00:00:05",
            });
        }

        await using var simulated = await EmbeddedSimulatedModel.StartIfEnabledAsync(builder.Configuration, CancellationToken.None);
        builder.Services.AddOrchestrator(builder.Configuration);
        using var host = builder.Build();
        await SchemaStartup.MigrateIfEnabledAsync(host.Services, CancellationToken.None);
        await host.StartAsync();

        var stopwatch = Stopwatch.StartNew();
        var run = Guid.NewGuid().ToString("N")[..8];
        // Submitted as the HTTP API submits (an embedded orchestrator has no bus another service could reach).
        await Parallel.ForEachAsync(Enumerable.Range(1, settings.Requests), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            var submitted = await scope.ServiceProvider.GetRequiredService<Submissions>().SubmitAsync(new InferenceRequested
            {
                RequestId = $"demo-{run}-{i:D6}",
                Model = "sim",
                Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText($"Demo request {i}: say hello. {settings.Script}")] }],
                SourceService = "demo",
                Retry = settings.RetryInitialMs.Length == 0 ? null : new RetryPolicyOverride { InitialIntervalMs = settings.RetryInitialMs[i % settings.RetryInitialMs.Length] },
            }, ct);
            if (submitted is SubmissionOutcome.Refused refused)
                throw new InvalidOperationException($"demo request {i} was refused: {string.Join("; ", refused.Errors.Select(e => $"{e.Field}: {e.Message}"))}");
        });

        var counts = await WaitForTerminalAsync(host.Services, settings.Requests, settings.Timeout);
        stopwatch.Stop();
        counts = counts with { Timers = await TimerLatenessAsync(host.Services) };
        await host.StopAsync();

        var terminal = counts.Terminal;
        await PrintAsync(settings, counts, stopwatch.Elapsed);
        if (terminal < settings.Requests)
        {
            await settings.Error.WriteLineAsync(
                $"demo: only {terminal} of {settings.Requests} requests reached a terminal state within {settings.Timeout.TotalSeconds:0} s");
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

    static async Task PrintAsync(Settings settings, Counts counts, TimeSpan elapsed)
    {
        var output = settings.Output;
        long Of(string state) => counts.States.GetValueOrDefault(state);
        await output.WriteLineAsync($"{"state",-16}{"requests",10}");
        foreach (var state in RequestStates.All)
            await output.WriteLineAsync($"{state,-16}{Of(state),10}");
        await output.WriteLineAsync($"{"attempts",-16}{counts.Attempts,10}");
        await output.WriteLineAsync($"{settings.Requests} requests in {elapsed.TotalSeconds:0.00} s ({settings.Requests / Math.Max(elapsed.TotalSeconds, 0.001):0} requests/s)");
        if (counts.Timers is { } t)
            await output.WriteLineAsync($"{t.Retries} retry timers fired, lateness p50 {t.P50Ms:0} ms, p99 {t.P99Ms:0} ms, max {t.MaxMs:0} ms");
        if (settings.Json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                requests = settings.Requests,
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

    static double ParseFaultRate(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate is >= 0 and <= 1)
            return rate;
        result.AddError($"--fault-rate must be a number from 0 to 1 (got '{text}')");
        return 0;
    }

    static int[] ParseIntervals(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        var valid = parts.Length > 0;
        for (var i = 0; i < parts.Length && valid; i++)
            valid = int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) && values[i] <= 3_600_000;
        if (valid)
            return values;
        result.AddError($"--retry-initial-ms must be whole numbers of ms up to 3600000, comma separated (got '{text}')");
        return [];
    }
}
