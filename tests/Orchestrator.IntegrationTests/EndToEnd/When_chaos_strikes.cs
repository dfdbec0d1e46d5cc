using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Orchestrator.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// The quick chaos run (<c>scripts/chaos.sh --quick</c>) against the test servers: 2 orchestrators, 3 workers and a
/// simulated model as processes, at least 300 requests with duplicates, and every fault kind (worker and orchestrator
/// SIGKILLed, RabbitMQ stopped cleanly, SIGKILLed and held with SIGSTOP, PostgreSQL restarted with -m immediate, the
/// model slow and then failing). The runner checks the invariants and each fault's evidence itself and exits non-zero
/// when one fails; the summary line says the same.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed partial class When_chaos_strikes(ITestOutputHelper output)
{
    // About 3 minutes on a quiet 2-core box; a busy one slows every restart, so the bound is generous (the hang
    // timeout of scripts/test.sh is 10 minutes).
    static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(9);

    [Fact]
    public async Task Should_lose_nothing_and_finish_every_request_once()
    {
        var infraDir = Environment.GetEnvironmentVariable("INFRA_DIR");
        Assert.False(string.IsNullOrEmpty(infraDir), "INFRA_DIR is not set: run the tests through ./scripts/test.sh, whose servers the chaos run restarts");
        _ = TestServers.PostgresOwner;
        _ = TestServers.RabbitMq;

        (int exitCode, string stdout, string stderr) result;
        try
        {
            result = await RunChaosAsync(false, "--quick", "--seed", "7");
        }
        finally
        {
            // The run restarted PostgreSQL: every connection this test process pooled before is dead, and the next
            // test to borrow one would fail on it. Start the pools afresh.
            Npgsql.NpgsqlConnection.ClearAllPools();
        }
        var (exitCode, stdout, stderr) = result;

        output.WriteLine(stdout); // the fault log and the invariant table, for the figures
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var report = $"exit {exitCode}\n--- stdout ---\n{stdout}\n--- stderr (tail) ---\n{(stderr.Length > 20_000 ? stderr[^20_000..] : stderr)}";
        Assert.True(exitCode == 0, $"the chaos run failed: {report}");
        Assert.True(lines.Length > 0, $"the chaos run printed nothing: {report}");
        var summary = SummaryLine().Match(lines[^1]);
        Assert.True(summary.Success, $"the last line is not 'requests=N lost=0 duplicateTerminal=0 stuck=0 faults=K faultsHit=K redeliveries=R': {report}");
        static int Number(Match m, string name) => int.Parse(m.Groups[name].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Number(summary, "requests") >= 300, report);
        Assert.True(Number(summary, "faults") >= 7, report);
        Assert.True(Number(summary, "hit") == Number(summary, "faults"), $"a fault left no evidence that it hit requests in flight: {report}");
        // The table shows each invariant; none may read FAILED.
        Assert.DoesNotContain(lines, l => l.Contains(" FAILED ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(2, false, "--requests", "many")]
    [InlineData(2, false, "--storm")]
    [InlineData(2, false, "--quick", "--full")]
    [InlineData(1, false, "--quick", "--requests", "100")]
    [InlineData(3, true, "--quick")]
    public async Task Should_refuse_a_run_that_cannot_keep_its_promise(int exitCode, bool withoutServers, params string[] args)
    {
        var (code, stdout, stderr) = await RunChaosAsync(withoutServers, args);
        Assert.True(code == exitCode, $"expected exit {exitCode}, got {code}\n{stdout}\n{stderr}");
        Assert.False(string.IsNullOrWhiteSpace(stderr), "a refused run says why on stderr");
        Assert.DoesNotContain("requests=", stdout, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^requests=(?<requests>\d+) lost=0 duplicateTerminal=0 stuck=0 faults=(?<faults>\d+) faultsHit=(?<hit>\d+) redeliveries=\d+$")]
    private static partial Regex SummaryLine();

    static async Task<(int ExitCode, string Stdout, string Stderr)> RunChaosAsync(bool withoutServers, params string[] args)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(RepoPaths.Root, "tools", "Chaos", "bin", configuration, "net10.0", "Orchestrator.Chaos.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first (dotnet build -c {configuration})");

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        if (withoutServers)
        {
            info.Environment.Remove("ORCH_TEST_POSTGRES");
            info.Environment.Remove("ORCH_TEST_RABBITMQ");
        }
        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = new CancellationTokenSource(RunLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            // Its own children die with it: the runner kills them by PID when it is disposed, and SIGKILL of the whole
            // tree here covers a runner that hangs.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            lock (stderr)
                Assert.Fail($"the chaos run did not finish within {RunLimit.TotalMinutes:0} minutes:\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // drains the redirected output
        lock (stdout)
            lock (stderr)
                return (process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
