using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Contracts;

namespace Orchestrator.Tests.Workers;

/// <summary>
/// One worker's services and consumers on MassTransit's in-memory test harness, with its settings given as
/// configuration keys and a clock the test moves.
/// </summary>
public sealed class WorkerSpecHarness : IAsyncDisposable
{
    readonly ServiceProvider _provider;

    WorkerSpecHarness(ServiceProvider provider)
    {
        _provider = provider;
        Harness = provider.GetRequiredService<ITestHarness>();
    }

    public ITestHarness Harness { get; }

    public IServiceProvider Services => _provider;

    public static async Task<WorkerSpecHarness> StartAsync(Dictionary<string, string?> settings, TimeProvider clock)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(clock);
        Orchestrator.Workers.Hosting.WorkerServiceCollectionExtensions.AddWorkerServices(services);
        services.AddMassTransitTestHarness(x => Orchestrator.Workers.Hosting.WorkerServiceCollectionExtensions.AddWorkerConsumers(x));
        var spec = new WorkerSpecHarness(services.BuildServiceProvider(validateScopes: true));
        await spec.Harness.Start();
        return spec;
    }

    public static InvokeModel Invoke(string requestId, int attempt, string script = "") => new()
    {
        RequestId = requestId,
        Attempt = attempt,
        Model = "sim",
        // The simulator keeps a script's position per prompt: the request id makes the prompt this test's own.
        Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText($"{requestId} {script}")] }],
    };

    /// <summary>Publishes one invoke and waits (bounded) for its result: AttemptSucceeded or AttemptFailed.</summary>
    public async Task<object> AttemptAsync(string requestId, int attempt, string script = "")
    {
        await Harness.Bus.Publish(Invoke(requestId, attempt, script));
        for (var i = 0; i < 600; i++)
        {
            if (Result(requestId, attempt) is { } result)
                return result;
            await Task.Delay(25);
        }
        throw new TimeoutException($"no result for {requestId} attempt {attempt} within 15 s");
    }

    public object? Result(string requestId, int attempt) =>
        (object?)Harness.Published.Select<AttemptSucceeded>().Select(m => m.Context.Message).LastOrDefault(m => m.RequestId == requestId && m.Attempt == attempt)
        ?? Harness.Published.Select<AttemptFailed>().Select(m => m.Context.Message).LastOrDefault(m => m.RequestId == requestId && m.Attempt == attempt);

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds.</summary>
    public static async Task<bool> Eventually(Func<bool> condition, int timeoutMs = 15_000)
    {
        for (var waited = 0; waited < timeoutMs; waited += 25)
        {
            if (condition())
                return true;
            await Task.Delay(25);
        }
        return condition();
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
    }
}
