using System.Diagnostics;
using System.Text;

namespace Orchestrator.IntegrationTests.Infrastructure;

/// <summary>
/// A product executable run as a separate OS process (<c>dotnet X.dll</c>), its output kept for the failure message,
/// killed (by its own PID) when disposed.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();

    ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public static ChildProcess Start(string name, string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
            info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, name);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            // Keep the tail: enough to explain a failure, bounded for long runs.
            if (_output.Length > 200_000)
                _output.Remove(0, 100_000);
            _output.AppendLine(line);
        }
    }

    /// <summary>Waits for exit (bounded); returns the exit code.</summary>
    /// <summary>Runs a command to its end (a CLI verb, say): its exit code and everything it printed.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string name, string dll, IEnumerable<string> args,
        IReadOnlyDictionary<string, string> environment, string? workingDirectory, TimeSpan timeout)
    {
        await using var child = Start(name, dll, args, environment, workingDirectory);
        var code = await child.WaitForExitAsync(timeout);
        return (code, child.Output);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0} s. Output:\n{Output}");
        }
        return _process.ExitCode;
    }

    /// <summary>Waits until <paramref name="url"/> answers 2xx, failing early (with the output) if the process dies.</summary>
    public async Task WaitUntilHealthyAsync(string url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.Until(async () =>
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was healthy. Output:\n{Output}");
            try
            {
                using var response = await http.GetAsync(new Uri(url));
                return $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException)
            {
                return "not listening";
            }
            catch (TaskCanceledException)
            {
                return "not answering";
            }
        }, answer => answer.StartsWith("HTTP 2", StringComparison.Ordinal), timeout, $"{Name} healthy at {url}", () => $"Output:\n{Output}");
    }

    public void Kill()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Kill();
            await WaitForExitAsync(TimeSpan.FromSeconds(20));
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        _process.Dispose();
    }

    public static int FreePort() => Loopback.FreePort();
}
