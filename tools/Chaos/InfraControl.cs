using System.Diagnostics;

namespace Orchestrator.Chaos;

/// <summary>
/// Restarts the servers of <c>INFRA_DIR</c> through <c>scripts/infra-ctl.sh</c>, which finds them by their pid files
/// (never by name): <c>rmq-restart</c> stops the RabbitMQ node and starts it again, <c>pg-restart-immediate</c> runs
/// <c>pg_ctl restart -m immediate</c> as the postgres user.
/// </summary>
public static class InfraControl
{
    public static async Task RunAsync(string verb, TimeSpan timeout)
    {
        using var process = Start(verb, timeout);
        await WaitAsync(process, verb, timeout);
    }

    /// <summary>Starts <c>infra-ctl.sh VERB</c>; <see cref="WaitAsync"/> waits for it.</summary>
    public static Process Start(string verb, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(RepoLayout.InfraCtl);
        info.ArgumentList.Add(verb);
        // On a busy box a broker's boot check alone can take minutes; the script's own limit is per server.
        info.Environment["READY_TIMEOUT"] = ((int)timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
    }

    /// <summary>Waits for the script to exit (failing on a non-zero exit or the timeout), then disposes it.</summary>
    public static async Task WaitAsync(Process process, string verb, TimeSpan timeout)
    {
        using var owned = process;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // Only the script: the server it started runs in a session of its own and must not die with it.
            process.Kill(entireProcessTree: false);
            throw new TimeoutException($"infra-ctl.sh {verb} did not finish within {timeout.TotalSeconds:0} s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"infra-ctl.sh {verb} exited {process.ExitCode}: {(await stderr).Trim()} {(await stdout).Trim()}");
    }
}
