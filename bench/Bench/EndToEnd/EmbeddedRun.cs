using System.Globalization;
using System.Text.Json;

namespace Orchestrator.Bench.EndToEnd;

/// <summary>
/// Embedded mode: <c>orchestrator demo</c> runs the orchestrator, in-process bus, workers and simulated model (0 ms) in
/// one process on a fresh SQLite file and times N requests from the first publish to the last terminal state. Peak RSS
/// and CPU are sampled from /proc while it runs (the last sample before it exits).
/// </summary>
public static class EmbeddedRun
{
    public static async Task<EmbeddedResult> RunAsync(string repository, int requests, TimeSpan timeout, CancellationToken cancel)
    {
        var dll = Path.Combine(repository, "src", "Orchestrator", "bin", "Release", "net10.0", "Orchestrator.dll");
        var started = DateTime.UtcNow;
        await using var demo = BenchProcess.Start("embedded", dll,
            ["demo", "--requests", requests.ToString(CultureInfo.InvariantCulture), "--json", "--timeout", ((int)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture)],
            new Dictionary<string, string>(), listens: false);
        double? rss = null, cpu = null;
        var exited = demo.WaitForExitAsync(timeout + TimeSpan.FromSeconds(30), cancel);
        while (!exited.IsCompleted)
        {
            rss = demo.PeakRssMb() ?? rss;
            cpu = CpuMeter.Seconds(demo.Pid, withChildren: false) ?? cpu;
            await Task.WhenAny(exited, Task.Delay(500, cancel));
        }
        var code = await exited;
        var line = demo.Tail.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{'));
        if (code != 0 || line is null)
            throw new InvalidOperationException($"embedded demo exited {code} without a result:\n{demo.Tail}");
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        var elapsedMs = root.GetProperty("elapsedMs").GetDouble();
        return new EmbeddedResult(
            started, requests, root.GetProperty("succeeded").GetInt64(), root.GetProperty("failed").GetInt64(), elapsedMs,
            Math.Round(requests / Math.Max(elapsedMs / 1000, 0.001), 1), rss, cpu is { } c ? Math.Round(c * 1000 / requests, 2) : null);
    }
}

/// <summary>The embedded run; CpuMsPerRequest is the whole process's CPU (start-up included) over the requests, an upper bound.</summary>
public sealed record EmbeddedResult(
    DateTime StartedAtUtc, int Requests, long Succeeded, long Failed, double ElapsedMs, double RequestsPerSec, double? PeakRssMb, double? CpuMsPerRequest);
