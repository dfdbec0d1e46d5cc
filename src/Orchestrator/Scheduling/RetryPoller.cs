using System.Data.Common;
using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Persistence;
using Orchestrator.Sagas.EntityFrameworkCore;
using Orchestrator.ServiceDefaults;
using Orchestrator.StateMachines;
using Orchestrator.Submission;
using Orchestrator.Telemetry;

namespace Orchestrator.Scheduling;

/// <summary>
/// Fires due retries: every orchestrator polls the saga rows whose backoff is over (an indexed due-time query),
/// claims a batch with <c>FOR UPDATE SKIP LOCKED</c> so that no two nodes take the same rows, takes each row's
/// retry transition itself (<see cref="InferenceRequestStateMachine.FireRetry"/>: the next attempt, or a hold) in the
/// claim's transaction, and publishes the attempts' commands after the commit. The row is the timer: nothing to create
/// after commit, nothing left behind by a cancel. A row the poller cannot take (it changed meanwhile) keeps its timer
/// for the next pass. A command the broker does not confirm counts as an attempt made, and the next is due shortly (a
/// late delivery of the command is a late result of a recorded attempt); the poller claims nothing while the bus is
/// unhealthy.
/// </summary>
public sealed partial class RetryPoller(
    IServiceScopeFactory scopes,
    IBus bus,
    IBusControl busControl,
    InferenceRequestStateMachine machine,
    StoreSettings store,
    WriterGate writers,
    TimeProvider clock,
    IOptions<TimerOptions> options,
    RetryWakeups wakeups,
    IHostApplicationLifetime lifetime,
    ILogger<RetryPoller> logger) : BackgroundService
{
    /// <summary>How long a dispatch waits for the broker to take the command.</summary>
    static readonly TimeSpan DispatchTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The wait before the attempt after an unconfirmed one.</summary>
    public static readonly TimeSpan UnconfirmedRetryDelay = TimeSpan.FromSeconds(5);

    // The claim locks the due rows for this transaction (other nodes skip them) and returns their keys.
    const string PostgresClaim = """
        SELECT correlation_id FROM inference_requests
        WHERE state = 'RetryScheduled' AND next_attempt_at <= @now
        ORDER BY next_attempt_at LIMIT @batch
        FOR UPDATE SKIP LOCKED
        """;

    // One process owns an embedded SQLite file, and its writer gate is held for the whole pass.
    const string SqliteClaim = """
        SELECT correlation_id FROM inference_requests
        WHERE state = 'RetryScheduled' AND next_attempt_at <= @now
        ORDER BY next_attempt_at LIMIT @batch
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

    /// <summary>Claims one batch of due retries, starts their next attempts and dispatches them; returns how many.</summary>
    public async Task<int> FireDueAsync(TimerOptions settings, CancellationToken cancellationToken)
    {
        // With the broker away every dispatch would fail and spend an attempt: the retries wait on their rows.
        if (busControl.CheckHealth().Status == BusHealthStatus.Unhealthy)
            return 0;
        var dispatches = new List<(InvokeModel Command, Activity? Span)>();
        var claimed = 0;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
            // One failed save fails the pass, which rolls back; no savepoint per save.
            db.Database.AutoSavepointsEnabled = false;
            using var turn = await writers.EnterAsync(cancellationToken);
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            var ids = await ClaimAsync(db.Database.GetDbConnection(), tx.GetDbTransaction(), settings, cancellationToken);
            if (ids.Count == 0)
                return 0;
            claimed = ids.Count;
            var sagas = await db.Requests.AsTracking().Include(x => x.Attempts).Where(x => ids.Contains(x.CorrelationId)).ToListAsync(cancellationToken);
            var outer = Activity.Current;
            foreach (var saga in sagas)
            {
                // The span lives until the command is published: the retry continues the request's own trace.
                var span = Span(saga);
                if (machine.FireRetry(saga, "poller") is { } command)
                    dispatches.Add((command, span));
                else
                    span?.Stop();
                Activity.Current = outer;
            }
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            db.Database.AutoSavepointsEnabled = true;
        }

        var failed = await Task.WhenAll(dispatches.Select(d => DispatchAsync(d.Command, d.Span)));
        foreach (var command in failed.OfType<InvokeModel>())
            await EndUnconfirmedAttemptAsync(command);
        return claimed;
    }

    async Task<List<Guid>> ClaimAsync(DbConnection connection, DbTransaction tx, TimerOptions settings, CancellationToken cancellationToken)
    {
        await using var command = DbCommands.Create(connection, tx, store.Kind == StoreKind.Postgres ? PostgresClaim : SqliteClaim)
            .With("@now", clock.GetUtcNow().UtcDateTime)
            .With("@batch", settings.RetryBatchSize);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            ids.Add(reader.GetFieldValue<Guid>(0));
        return ids;
    }

    Activity? Span(InferenceRequestState saga)
    {
        ActivityContext.TryParse(saga.TraceParent, null, out var parent);
        var span = OrchestratorTracing.Source.StartActivity("retry timer fired", ActivityKind.Producer, parent);
        span?.SetTag("request_id", saga.RequestId);
        if (saga.NextAttemptAt is { } due)
            span?.SetTag("lateness_ms", (clock.GetUtcNow().UtcDateTime - due).TotalMilliseconds);
        return span;
    }

    /// <summary>Publishes an attempt's command in its span; returns the command when the broker did not take it.</summary>
    async Task<InvokeModel?> DispatchAsync(InvokeModel command, Activity? span)
    {
        Activity.Current = span;
        try
        {
            using var timeout = new CancellationTokenSource(DispatchTimeout);
            await bus.Publish(command, p => p.TrySetPriority(InferenceRequestMessages.BrokerPriority(command.Priority)), timeout.Token);
            return null;
        }
        catch (Exception exception)
        {
            RetryNotDispatched(logger, exception, command.RequestId, command.Attempt);
            return command;
        }
        finally
        {
            span?.Stop();
        }
    }

    /// <summary>
    /// The broker did not confirm an attempt's command. It may still reach a worker, so the attempt counts as made
    /// (<see cref="InferenceRequestState.DispatchUnconfirmed"/>), and the next one is due after
    /// <see cref="UnconfirmedRetryDelay"/>: a broker that is away is not hammered, and the poller pauses while the bus
    /// is unhealthy. A row that moved on meanwhile (the command did get through) is left alone.
    /// </summary>
    async Task EndUnconfirmedAttemptAsync(InvokeModel command)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
            var id = RequestIdentity.ToCorrelationId(command.RequestId);
            var saga = await db.Requests.AsTracking().Include(x => x.Attempts).SingleOrDefaultAsync(x => x.CorrelationId == id);
            if (saga is not { CurrentState: RequestStates.Pending } || saga.Attempt != command.Attempt)
                return;
            var now = clock.GetUtcNow().UtcDateTime;
            saga.DispatchUnconfirmed(now,
                $"the broker did not confirm attempt {command.Attempt}'s command; it may still reach a worker, so attempt {command.Attempt + 1} goes instead",
                now + UnconfirmedRetryDelay);
            using var turn = await writers.EnterAsync(CancellationToken.None);
            await db.SaveChangesAsync();
            wakeups.Due(now + UnconfirmedRetryDelay);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The row moved on: the command did reach a worker, whose report the saga recorded.
        }
        catch (Exception exception)
        {
            // The attempt's own timeout still ends it.
            UnconfirmedAttemptNotEnded(logger, exception, command.RequestId, command.Attempt);
        }
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

    [LoggerMessage(3103, LogLevel.Warning, "Request {RequestId}: the broker did not confirm attempt {Attempt}; it counts as made and the next follows")]
    static partial void RetryNotDispatched(ILogger logger, Exception exception, string requestId, int attempt);

    [LoggerMessage(3104, LogLevel.Error, "Request {RequestId}: could not record unconfirmed attempt {Attempt}; its timeout will end it")]
    static partial void UnconfirmedAttemptNotEnded(ILogger logger, Exception exception, string requestId, int attempt);
}
