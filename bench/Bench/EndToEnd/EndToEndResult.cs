namespace Orchestrator.Bench.EndToEnd;

public sealed record EndToEndResult(
    string Name,
    DateTime StartedAtUtc,
    int Orchestrators,
    int Workers,
    int ModelLatencyMs,
    double FaultRate,
    double FirstCallFaultRate,
    IReadOnlyDictionary<string, string> NonDefaults,
    SaturatedRun Saturated,
    PacedRun? Paced,
    IReadOnlyDictionary<string, double?> PeakRssMb,
    int ModelLatencyJitterMs = 0,
    string? FaultMix = null,
    IReadOnlyList<string>? Outages = null,
    IdleFigures? IdleAfterRun = null);

/// <summary>CPU of each process over <paramref name="WindowSeconds"/>, <paramref name="AfterSeconds"/> after the last request finished: what an idle deployment costs.</summary>
public sealed record IdleFigures(double AfterSeconds, double WindowSeconds, IReadOnlyDictionary<string, double?> CpuPercent);

/// <summary>Requests submitted as fast as the client's concurrency allows; throughput from first submit to last terminal.</summary>
public sealed record SaturatedRun(
    int Requests,
    int SubmitConcurrency,
    double Seconds,
    double RequestsPerSec,
    long Succeeded,
    long Failed,
    long Other,
    double TxPerRequest,
    double IdleCommitsPerSec,
    double TxPerRequestLessIdle,
    double MsgsPerRequest,
    double DeliveriesPerRequest,
    long Attempts,
    long Retries,
    double RetriesPerSec,
    double? TimerLatenessP50Ms,
    double? TimerLatenessP99Ms,
    double? TimerLatenessMaxMs,
    LatencyFigures Latency,
    IReadOnlyDictionary<string, double?> CpuMsPerRequest,
    IReadOnlyDictionary<string, double?> IdleCpuPercent,
    ResilienceFigures? Resilience = null,
    double? RoutedPerRequest = null);

/// <summary>Requests submitted at a fixed rate (open loop): latency and overhead below saturation.</summary>
public sealed record PacedRun(
    int Requests, double TargetRatePerSec, double AchievedRequestsPerSec, LatencyFigures Latency, long Retries, double? TimerLatenessP50Ms, double? TimerLatenessP99Ms);

/// <summary>End-to-end latency (created → terminal) and overhead (that minus the attempts' model time), ms.</summary>
public sealed record LatencyFigures(
    double? EndToEndP50Ms, double? EndToEndP99Ms, double? OverheadP50Ms, double? OverheadP95Ms, double? OverheadP99Ms, double? ModelTimeP50Ms,
    double? ToWorkerP50Ms = null, double? BackP50Ms = null);

/// <summary>
/// What breakers and cooldowns cost the run, summed over the processes: breaker openings; cooldowns the workers started
/// (a 429/503 Retry-After, a breaker that opened); bounces (invokes a worker refused as CircuitOpen without a call, each
/// a saga transaction and a re-dispatch); invokes a worker held until an endpoint opened up instead; and dispatches the
/// orchestrator held while every endpoint of the model cooled down.
/// </summary>
public sealed record ResilienceFigures(long BreakerOpenings, long RetryAfterCooldowns, long BreakerCooldowns, long Bounces, long HeldInvokes, long HeldDispatches);
