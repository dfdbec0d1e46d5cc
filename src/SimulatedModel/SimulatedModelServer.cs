namespace Orchestrator.SimulatedModel;

/// <summary>
/// The simulated model running in-process on its own Kestrel server, for tests and the embedded demo.
/// It reads no configuration files or environment variables of the host process: only the options given.
/// </summary>
public sealed class SimulatedModelServer : IAsyncDisposable
{
    /// <summary>Loopback on a free port.</summary>
    public const string DefaultUrl = "http://127.0.0.1:0";

    // A held `timeout` step ends on shutdown anyway; this only bounds a stuck normal request.
    static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    readonly WebApplication _app;
    int _disposed;

    SimulatedModelServer(WebApplication app, Uri baseAddress, SimulatedModelStats stats)
    {
        _app = app;
        BaseAddress = baseAddress;
        Stats = stats;
    }

    /// <summary>The address the server listens on, with the actual port and a trailing slash, e.g. <c>http://127.0.0.1:43817/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The server's call counters.</summary>
    public SimulatedModelStats Stats { get; }

    /// <summary>
    /// Validates <paramref name="options"/>, starts Kestrel on <paramref name="url"/> (port 0 picks a free port) and
    /// returns once it is listening.
    /// </summary>
    public static async Task<SimulatedModelServer> StartAsync(
        SimulatedModelOptions options,
        string url = DefaultUrl,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(url);

        // The empty builder: an embedding host's appsettings (e.g. its Kestrel endpoints) must not leak in here.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.WebHost.UseUrls(url);
        builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddSimulatedModel(options);

        var app = builder.Build();
        app.MapSimulatedModel();
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Urls.First();
        return new SimulatedModelServer(app, new Uri(address.TrimEnd('/') + "/"), app.Services.GetRequiredService<SimulatedModelStats>());
    }

    /// <summary>Stops the server; held <c>timeout</c> requests are dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
