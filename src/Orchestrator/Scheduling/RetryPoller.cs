using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orchestrator.Persistence;
using Orchestrator.Sagas.EntityFrameworkCore;
using Orchestrator.ServiceDefaults;
using Orchestrator.StateMachines;
using Orchestrator.Telemetry;

namespace Orchestrator.Scheduling;

/// <summary>
/// Fires due retries: every orchestrator polls the saga rows whose backoff is over (an indexed due-time query),
/// claims a batch with <c>FOR UPDATE SKIP LOCKED</c> so that no two nodes take the same rows, and publishes
/// <see cref="RetryDue"/> with each row's token. The row is the timer: nothing to create after commit, nothing
/// to lose in a crash, nothing left behind by a cancel. A claim whose RetryDue was lost (a crash between claim and
/// publish) expires after <see cref="TimerOptions.RepairGrace"/> and is taken again; the saga ignores a second
/// fire of the same token.
/// </summary>
public sealed partial class RetryPoller(
    IServiceScopeFactory scopes,
    IBus bus,
    StoreSettings store,
    WriterGate writers,
    TimeProvider clock,
    IOptions<TimerOptions> options,
    RetryWakeups wakeups,
    IHostApplicationLifetime lifetime,
    ILogger<RetryPoller> logger) : BackgroundService
{
    // A claim made before the row's current due time belongs to an earlier retry of the same request.
    const string PostgresClaim = """
        UPDATE inference_requests r SET retry_claimed_at = @now
        FROM (SELECT correlation_id FROM inference_requests
              WHERE state = 'RetryScheduled' AND next_attempt_at <= @now
                AND (retry_claimed_at IS NULL OR retry_claimed_at < next_attempt_at OR retry_claimed_at < @stale)
              ORDER BY next_attempt_at LIMIT @batch
              FOR UPDATE SKIP LOCKED) due
        WHERE r.correlation_id = due.correlation_id
        RETURNING r.request_id, r.retry_token::text, r.next_attempt_at, r.trace_parent
        """;

    // One process owns an embedded SQLite file, so a plain UPDATE ... RETURNING claims.
    const string SqliteClaim = """
        UPDATE inference_requests SET retry_claimed_at = @now
        WHERE correlation_id IN (
              SELECT correlation_id FROM inference_requests
              WHERE state = 'RetryScheduled' AND next_attempt_at <= @now
                AND (retry_claimed_at IS NULL OR retry_claimed_at < next_attempt_at OR retry_claimed_at < @stale)
              ORDER BY next_attempt_at LIMIT @batch)
        RETURNING request_id, retry_token, next_attempt_at, trace_parent
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Fires publish on the bus: wait until the host (and so the bus) has started.
        if (!await lifetime.WaitForStartAsync(stoppingToken))
            return;

        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var fired = 0;
            try
            {
                fired = await FireDueAsync(settings, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The database or the broker is away: the rows keep the retries; try again shortly.
                PollFailed(logger, exception);
                await Delay(TimeSpan.FromSeconds(1), stoppingToken);
                continue;
            }
            // A full batch means more are due: go again at once. Otherwise sleep until the next retry this process
            // knows of (or the idle interval), waking early if an earlier one is scheduled meanwhile.
            if (fired < settings.RetryBatchSize)
            {
                var (sleep, earlier) = wakeups.Plan(settings.RetryPollInterval, settings.IdlePollInterval);
                await Delay(sleep, earlier, stoppingToken);
            }
        }
    }

    /// <summary>Claims and fires one batch of due retries; returns how many.</summary>
    public async Task<int> FireDueAsync(TimerOptions settings, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = new List<(RetryDue Message, string? TraceParent)>();
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
            var connection = db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync(cancellationToken);
            try
            {
                using var turn = await writers.EnterAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await using var command = DbCommands.Create(connection, tx, store.Kind == StoreKind.Postgres ? PostgresClaim : SqliteClaim)
                    .With("@now", now)
                    .With("@stale", now - settings.RepairGrace)
                    .With("@batch", settings.RetryBatchSize);
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        if (!Guid.TryParse(reader.GetString(1), out var token))
                            continue;
                        due.Add((new RetryDue
                        {
                            RequestId = reader.GetString(0),
                            Token = token,
                            DueAt = new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc)),
                            FiredAt = clock.GetUtcNow(),
                            Source = "poller",
                        }, reader.IsDBNull(3) ? null : reader.GetString(3)));
                    }
                }
                await tx.CommitAsync(cancellationToken);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }

        // Published after the claim commits: a crash in between leaves claims that expire and are taken again.
        await Task.WhenAll(due.Select(d => PublishInTraceAsync(d.Message, d.TraceParent, cancellationToken)));
        return due.Count;
    }

    /// <summary>The fire continues the request's own trace (the submission's), so one trace spans every attempt.</summary>
    async Task PublishInTraceAsync(RetryDue message, string? traceParent, CancellationToken cancellationToken)
    {
        ActivityContext.TryParse(traceParent, null, out var parent);
        using var activity = OrchestratorTracing.Source.StartActivity("retry timer fired", ActivityKind.Producer, parent);
        activity?.SetTag("request_id", message.RequestId);
        activity?.SetTag("lateness_ms", (message.FiredAt - message.DueAt).TotalMilliseconds);
        await bus.Publish(message, cancellationToken);
    }


    static async Task Delay(TimeSpan delay, Task earlier, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAny(Task.Delay(delay, cancellationToken), earlier);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    static async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(3102, LogLevel.Warning, "Retry poller: a pass failed; trying again in 1 s")]
    static partial void PollFailed(ILogger logger, Exception exception);
}
