using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orchestrator.Bench.EndToEnd;

/// <summary>
/// A product executable run as its own OS process (<c>dotnet X.dll</c>; the host runs the app in that same process, so
/// its PID is the one whose memory we read). Output is kept as a bounded tail for error messages; stopped by its PID.
/// </summary>
public sealed class BenchProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _tail = new();

    BenchProcess(string name, Process process, int port)
    {
        Name = name;
        _process = process;
        Port = port;
    }

    public string Name { get; }
    public int Port { get; }
    public int Pid => _process.Id;
    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");

    public string Tail
    {
        get
        {
            lock (_tail)
                return _tail.ToString();
        }
    }

    public static BenchProcess Start(string name, string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, bool listens = true)
    {
        var port = listens ? FreePort() : 0;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        if (listens)
        {
            info.ArgumentList.Add("--urls");
            info.ArgumentList.Add($"http://127.0.0.1:{port}");
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new BenchProcess(name, process, port);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        if (!process.Start())
            throw new InvalidOperationException($"{name}: could not start dotnet {dll}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    void Append(string? line)
    {
        if (line is null)
            return;
        lock (_tail)
        {
            if (_tail.Length > 40_000)
                _tail.Remove(0, 20_000);
            _tail.AppendLine(line);
        }
    }

    public async Task WaitUntilReadyAsync(HttpClient http, string path, TimeSpan timeout, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was ready:\n{Tail}");
            try
            {
                using var response = await http.GetAsync(new Uri(BaseUrl, path), cancel);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(250, cancel);
        }
        throw new TimeoutException($"{Name} was not ready at {path} within {timeout.TotalSeconds} s:\n{Tail}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancel)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds} s:\n{Tail}");
        }
        return _process.ExitCode;
    }

    /// <summary>Peak resident set size (VmHWM) in MB, from /proc; null once the process is gone.</summary>
    /// <summary>The resident set now (<c>VmRSS</c>), MB; null once the process is gone.</summary>
    public double? RssMb() => StatusMb("VmRSS:");

    /// <summary>The peak resident set (<c>VmHWM</c>), MB; null once the process is gone.</summary>
    public double? PeakRssMb() => StatusMb("VmHWM:");

    double? StatusMb(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (!line.StartsWith(field, StringComparison.Ordinal))
                    continue;
                var kb = long.Parse(line[field.Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                return Math.Round(kb / 1024.0, 1);
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _process.Dispose();
    }
}
