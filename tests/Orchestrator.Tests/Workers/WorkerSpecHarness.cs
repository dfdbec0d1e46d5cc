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
    /// <summary>How long a spec waits for the worker to do something (one value for every wait).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

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
        Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText($"{requestId} {script}")] }],
    };

    /// <summary>
    /// Publishes one invoke and waits (bounded) for its result: AttemptSucceeded or AttemptFailed. The same attempt
    /// may be sent again (after a circuit-open refusal): the result is the new one.
    /// </summary>
    public async Task<object> AttemptAsync(string requestId, int attempt, string script = "")
    {
        var before = Results(requestId, attempt).Count;
        await Harness.Bus.Publish(Invoke(requestId, attempt, script));
        var results = await Eventually.Until(() => Results(requestId, attempt), found => found.Count > before, Patience,
            $"a new result for {requestId} attempt {attempt} (it had {before})");
        return results[^1];
    }

    /// <summary>The latest result of the attempt, if any.</summary>
    public object? Result(string requestId, int attempt) => Results(requestId, attempt) is [.., var last] ? last : null;

    /// <summary>Every result of the attempt, in the order they were published.</summary>
    List<object> Results(string requestId, int attempt) =>
        Harness.Published.Select<AttemptSucceeded>().Where(m => m.Context.Message.RequestId == requestId && m.Context.Message.Attempt == attempt)
            .Select(m => (Message: (object)m.Context.Message, m.Context.SentTime))
            .Concat(Harness.Published.Select<AttemptFailed>().Where(m => m.Context.Message.RequestId == requestId && m.Context.Message.Attempt == attempt)
                .Select(m => (Message: (object)m.Context.Message, m.Context.SentTime)))
            .OrderBy(m => m.SentTime)
            .Select(m => m.Message)
            .ToList();

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
    }
}
