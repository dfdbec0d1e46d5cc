using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orchestrator.Chaos;

/// <summary>
/// A product executable run as a separate OS process (<c>dotnet X.dll</c>): its output tail kept for the report, killed
/// by its own PID only (SIGKILL, exactly what a crash does).
/// </summary>
public sealed class ChaosProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();
    readonly List<(DateTime At, string Line)> _lines = [];

    ChaosProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public string OutputTail
    {
        get
        {
            lock (_output)
                return _output.Length > 4000 ? _output.ToString(_output.Length - 4000, 4000) : _output.ToString();
        }
    }

    public static ChaosProcess Start(string name, string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // Only warnings and errors: the lines the fault evidence is looked for in.
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
            info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChaosProcess(process, name);
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
            if (_output.Length > 100_000)
                _output.Remove(0, 50_000);
            _output.AppendLine(line);
            // At the runner's log level every line is a warning or an error (JSON lines; a crash's text too).
            if (_lines.Count < 50_000)
                _lines.Add((DateTime.UtcNow, line));
        }
    }

    /// <summary>Warnings and errors this process logged from <paramref name="from"/> to <paramref name="to"/> matching <paramref name="pattern"/>.</summary>
    public List<(DateTime At, string Line)> Problems(DateTime from, DateTime to, System.Text.RegularExpressions.Regex pattern)
    {
        lock (_output)
            return [.. _lines.Where(p => p.At >= from && p.At <= to && pattern.IsMatch(p.Line))];
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
            throw new TimeoutException($"{Name} (pid {Pid}) did not exit within {timeout.TotalSeconds:0} s. Output:\n{OutputTail}");
        }
        return _process.ExitCode;
    }

    /// <summary>Waits until <paramref name="url"/> answers 2xx, failing early (with the output) if the process dies.</summary>
    public async Task WaitUntilHealthyAsync(string url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was healthy. Output:\n{OutputTail}");
            try
            {
                using var response = await http.GetAsync(new Uri(url));
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"{Name} not healthy at {url} within {timeout.TotalSeconds:0} s. Output:\n{OutputTail}");
            await Task.Delay(100);
        }
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
