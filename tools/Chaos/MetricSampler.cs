namespace Orchestrator.Chaos;

/// <summary>
/// Reads two counters of every live process every couple of seconds while the faults strike, so that a fault's share
/// can be told afterwards without holding the fault up: the messages the orchestrators took as redelivered
/// (<c>messaging_redelivered_total</c>) and the invokes the workers bounced as <c>CircuitOpen</c> while a breaker
/// was open (<c>orchestrator_attempts_total{failure_kind="CircuitOpen"}</c>).
/// </summary>
public sealed class MetricSampler(ChaosCluster cluster) : IAsyncDisposable
{
    static readonly TimeSpan Every = TimeSpan.FromSeconds(2);

    readonly List<Sample> _samples = [];
    readonly CancellationTokenSource _stop = new();
    Task? _loop;

    sealed record Sample(DateTime At, Dictionary<string, double> Redelivered, Dictionary<string, double> Bounces, Dictionary<string, double> WorkerRedelivered);

    public void Start() => _loop = Task.Run(LoopAsync);

    async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var at = DateTime.UtcNow;
            var redelivered = cluster.ScrapeAsync(workers: false, "messaging_redelivered_total");
            var bounces = cluster.ScrapeAsync(workers: true, "orchestrator_attempts_total", "failure_kind=\"CircuitOpen\"");
            var workerRedelivered = cluster.ScrapeAsync(workers: true, "messaging_redelivered_total");
            var sample = new Sample(at, await redelivered, await bounces, await workerRedelivered);
            lock (_samples)
                _samples.Add(sample);
            try
            {
                await Task.Delay(Every, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Messages the orchestrators took as redelivered from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public double Redelivered(DateTime from, DateTime to) => Growth(from, to, s => s.Redelivered);

    /// <summary>Invokes the workers took as redelivered (another worker had them and stopped) in the window.</summary>
    public double WorkerRedelivered(DateTime from, DateTime to) => Growth(from, to, s => s.WorkerRedelivered);

    /// <summary>Invokes the workers bounced as <c>CircuitOpen</c> from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public double Bounces(DateTime from, DateTime to) => Growth(from, to, s => s.Bounces);

    double Growth(DateTime from, DateTime to, Func<Sample, Dictionary<string, double>> values)
    {
        lock (_samples)
        {
            if (_samples.Count == 0)
                return 0;
            var before = _samples.LastOrDefault(s => s.At <= from) ?? _samples[0];
            var after = _samples.FirstOrDefault(s => s.At >= to) ?? _samples[^1];
            return ChaosCluster.Growth(values(before), values(after));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
            await _loop;
        _stop.Dispose();
    }
}
