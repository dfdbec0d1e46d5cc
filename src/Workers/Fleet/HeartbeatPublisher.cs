using MassTransit;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.ServiceDefaults;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.Resilience;
using Orchestrator.Workers.Telemetry;

namespace Orchestrator.Workers.Fleet;

/// <summary>
/// Publishes this worker's <see cref="WorkerHeartbeat"/> at start, every <see cref="WorkerOptions.HeartbeatInterval"/>,
/// and once more, marked stopping, when it stops.
/// </summary>
public sealed class HeartbeatPublisher(
    IBus bus,
    IServiceProvider services,
    FleetPeers peers,
    IOptions<WorkerOptions> options,
    EndpointBreakers breakers,
    EndpointCooldowns cooldowns,
    EndpointLimits limits,
    TokenUsageLog usage,
    TimeProvider clock,
    ILogger<HeartbeatPublisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The bus starts with the host: before that nothing can be published, and this worker's own queue for the
        // fleet's signals does not exist yet.
        if (!await Started(stoppingToken))
            return;
        peers.Listening();
        var interval = options.Value.HeartbeatInterval;
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            await PublishAsync(stopping: false, stoppingToken);
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(2));
        await PublishAsync(stopping: true, bounded.Token);
    }

    async Task<bool> Started(CancellationToken stoppingToken)
    {
        // Hosted without a host (a test harness): the bus is started by whoever runs it.
        return services.GetService(typeof(IHostApplicationLifetime)) is not IHostApplicationLifetime lifetime ||
               await lifetime.WaitForStartAsync(stoppingToken);
    }

    static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>This worker and its endpoints now.</summary>
    public WorkerHeartbeat Snapshot(bool stopping)
    {
        var worker = options.Value;
        var reports = new List<EndpointReport>();
        foreach (var (model, endpoints) in worker.Models)
        {
            foreach (var endpoint in endpoints.Endpoints)
            {
                var breaker = breakers.For(endpoint);
                var cooldown = cooldowns.Active(endpoint.DisplayName);
                var (prompt, completion) = usage.LastMinute(model, endpoint.DisplayName);
                reports.Add(new EndpointReport
                {
                    Model = model,
                    Endpoint = endpoint.DisplayName,
                    Priority = endpoint.Priority,
                    Breaker = breaker.Options.Enabled ? breaker.State.ToString() : "Disabled",
                    OpenUntil = breaker.OpenUntil,
                    CoolingUntil = cooldown?.Until,
                    CoolingReason = cooldown?.Reason,
                    InFlight = limits.InFlight(endpoint.DisplayName),
                    MaxInFlight = endpoint.MaxInFlight,
                    RequestsPerMinute = endpoint.RequestsPerMinute,
                    TokensPerMinute = endpoint.TokensPerMinute,
                    PromptTokensLastMinute = prompt,
                    CompletionTokensLastMinute = completion,
                });
            }
        }
        return new WorkerHeartbeat
        {
            WorkerId = worker.WorkerId,
            At = clock.GetUtcNow(),
            Interval = worker.HeartbeatInterval,
            Stopping = stopping,
            ConcurrencyLimit = worker.ConcurrencyLimit,
            Endpoints = reports,
        };
    }

    async Task PublishAsync(bool stopping, CancellationToken cancellationToken)
    {
        try
        {
            await bus.Publish(Snapshot(stopping), cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The broker is away: the next heartbeat tries again; peers treat this worker as live for three intervals.
            logger.HeartbeatFailed(exception.Message);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
