using Orchestrator.SimulatedModel.Scripting;

namespace Orchestrator.SimulatedModel.Logging;

/// <summary>
/// Source-generated log methods. Per-call events are Debug, so a benchmark at 1000+ calls/s is not slowed by logging
/// unless someone asks for it.
/// </summary>
static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Call {CallIndex} of script key {ScriptKey} answers {Step} (scripted: {Scripted})")]
    public static partial void StepChosen(ILogger logger, long callIndex, ulong scriptKey, ScriptStep step, bool scripted);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Rejected a request with {StatusCode}: {Reason}")]
    public static partial void RequestRejected(ILogger logger, int statusCode, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "The client left while call {CallIndex} of script key {ScriptKey} was pending")]
    public static partial void ClientLeft(ILogger logger, long callIndex, ulong scriptKey);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "A timeout step ended after holding the request; dropping the connection (server stopping: {Stopping})")]
    public static partial void HoldEnded(ILogger logger, bool stopping);

    [LoggerMessage(
        EventId = 5,
        Level = LogLevel.Information,
        Message = "Simulated model ready: latency {LatencyMs} ms + up to {JitterMs} ms, fault rate {FaultRate}, seed {Seed}, models {Models}")]
    public static partial void Ready(ILogger logger, int latencyMs, int jitterMs, double faultRate, int seed, string models);
}
