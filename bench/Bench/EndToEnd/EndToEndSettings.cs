namespace Orchestrator.Bench.EndToEnd;

/// <param name="Name">Label of the run in the results (e2e-0ms, faults, ...).</param>
/// <param name="AdminConnectionString">The owner role on the servers' main database; the run creates and drops its own database.</param>
/// <param name="Broker">amqp:// URL of the broker the processes and the floors share.</param>
/// <param name="BinDirectory">The repository root, under which the Release builds live.</param>
/// <param name="InfraCtl">scripts/infra-ctl.sh, for the broker's counters.</param>
/// <param name="Requests">Requests of the saturating run (submitted as fast as SubmitConcurrency allows).</param>
/// <param name="WarmupRequests">Requests run first and not measured (JIT, pools, topology).</param>
/// <param name="PacedRequests">Requests of the run paced at PacedFraction of the saturating throughput; 0 skips it.</param>
/// <param name="PacedFraction">The paced run's rate as a fraction of the saturating run's throughput (0.5).</param>
/// <param name="ModelLatencyMs">The simulated model's latency per call.</param>
/// <param name="FaultRate">Fraction of model calls that fail with a transient 500.</param>
/// <param name="FirstCallFaultRate">Fraction of requests whose first model call fails once with a transient 500 (the peers' fault pattern).</param>
/// <param name="InitialBackoffMs">The orchestrator's Retry:InitialInterval, ms; 0 leaves the default.</param>
/// <param name="Orchestrators">Orchestrator processes.</param>
/// <param name="Workers">Worker processes.</param>
/// <param name="SubmitConcurrency">HTTP submissions in flight in the saturating run.</param>
/// <param name="Timeout">Bound on the whole run, start-up included.</param>
/// <param name="PacedSeconds">Bound on the paced run's length: it submits at most rate × this many requests.</param>
/// <param name="ConnectionOptions">Extra settings appended to the processes' PostgreSQL connection string (an experiment knob, e.g. "No Reset On Close=true").</param>
/// <param name="ProcessEnvironment">Extra environment for the orchestrator and worker processes (an experiment knob, e.g. DOTNET_gcServer=0).</param>
/// <param name="ServerPidFiles">name → pid file of a server (postgres, rabbitmq) whose CPU per request is reported.</param>
/// <param name="ModelLatencyJitterMs">Extra latency of each successful model call, uniform in [0, this]; faults answer at once.</param>
/// <param name="FaultMix">The simulated model's fault weights as step=weight pairs ("500=1", the default), or "model" for its own default mix (503, 429 with Retry-After, 500, reset).</param>
/// <param name="Outages">Outages of the model switched on during the saturating run: every call gets the step for its seconds.</param>
/// <param name="IdleAfter">How long after the last request to start the idle window (CPU of idle processes); zero skips it.</param>
public sealed record EndToEndSettings(
    string Name,
    string AdminConnectionString,
    Uri Broker,
    string BinDirectory,
    string InfraCtl,
    int Requests,
    int WarmupRequests,
    int PacedRequests,
    double PacedFraction,
    int ModelLatencyMs,
    double FaultRate,
    double FirstCallFaultRate,
    int InitialBackoffMs,
    int Orchestrators,
    int Workers,
    int SubmitConcurrency,
    TimeSpan Timeout,
    int PacedSeconds,
    string ConnectionOptions,
    IReadOnlyDictionary<string, string> ProcessEnvironment,
    IReadOnlyDictionary<string, string> ServerPidFiles,
    int ModelLatencyJitterMs = 0,
    string FaultMix = "500=1",
    IReadOnlyList<ModelOutage>? Outages = null,
    TimeSpan IdleAfter = default);

/// <summary>From <paramref name="At"/> after the saturating run's first submit, every model call gets <paramref name="Step"/> for <paramref name="For"/>.</summary>
public sealed record ModelOutage(string Step, TimeSpan At, TimeSpan For)
{
    /// <summary><c>STEP@AT+FOR</c>, seconds: <c>503@20+10</c> is 503 for every call from 20 s to 30 s.</summary>
    public override string ToString() => $"{Step}@{At.TotalSeconds:0.###}+{For.TotalSeconds:0.###}";
}
