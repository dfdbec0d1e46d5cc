using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
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
    sealed record Arguments(int Requests, double FaultRate, bool Json, TimeSpan Timeout);

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
        CliOutput.LogToStandardError(builder.Logging, LogLevel.Warning);
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
        var bus = host.Services.GetRequiredService<IBus>();
        var run = Guid.NewGuid().ToString("N")[..8];
        await Parallel.ForEachAsync(Enumerable.Range(1, arguments.Requests), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            await bus.Publish(new InferenceRequested
            {
                RequestId = $"demo-{run}-{i:D6}",
                Model = "sim",
                Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText($"Demo request {i}: say hello.")] }],
                SourceService = "demo",
            }, ct));

        var counts = await WaitForTerminalAsync(host.Services, arguments.Requests, arguments.Timeout);
        stopwatch.Stop();
        await host.StopAsync();

        var terminal = counts.States.Where(kv => RequestStates.IsTerminal(kv.Key)).Sum(kv => kv.Value);
        Print(arguments, counts, stopwatch.Elapsed);
        if (terminal < arguments.Requests)
        {
            await Console.Error.WriteLineAsync(
                $"demo: only {terminal} of {arguments.Requests} requests reached a terminal state within {arguments.Timeout.TotalSeconds:0} s");
            return 1;
        }
        return 0;
    }

    sealed record Counts(Dictionary<string, int> States, int Attempts);

    static async Task<Counts> WaitForTerminalAsync(IServiceProvider services, int expected, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var counts = await CountAsync(services);
            var terminal = counts.States.Where(kv => RequestStates.IsTerminal(kv.Key)).Sum(kv => kv.Value);
            if (terminal >= expected || deadline.Elapsed > timeout)
                return counts;
            await Task.Delay(100);
        }
    }

    static async Task<Counts> CountAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var states = await db.Requests.GroupBy(x => x.CurrentState).Select(g => new { State = g.Key, Count = g.Count() }).ToListAsync();
        var attempts = await db.Attempts.CountAsync();
        return new Counts(states.Where(s => s.State != null).ToDictionary(s => s.State!, s => s.Count), attempts);
    }

    static void Print(Arguments arguments, Counts counts, TimeSpan elapsed)
    {
        int Of(string state) => counts.States.GetValueOrDefault(state);
        Console.WriteLine($"{"state",-16}{"requests",10}");
        foreach (var state in RequestStates.All)
            Console.WriteLine($"{state,-16}{Of(state),10}");
        Console.WriteLine($"{"attempts",-16}{counts.Attempts,10}");
        Console.WriteLine($"{arguments.Requests} requests in {elapsed.TotalSeconds:0.00} s ({arguments.Requests / Math.Max(elapsed.TotalSeconds, 0.001):0} requests/s)");
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
            }));
        }
    }

    static Arguments? Parse(string[] args)
    {
        int requests = 200;
        double faultRate = 0;
        var json = false;
        var timeout = (TimeSpan?)null;
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
                default:
                    Console.Error.WriteLine(
                        $"demo: bad argument '{args[i]}'. Usage: demo --requests N (1-1000000) [--fault-rate F (0-1)] [--json] [--timeout SECONDS]");
                    return null;
            }
        }
        return new Arguments(requests, faultRate, json, timeout ?? TimeSpan.FromSeconds(60 + requests / 20.0));
    }
}
