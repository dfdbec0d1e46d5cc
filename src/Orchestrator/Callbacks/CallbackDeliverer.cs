using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Orchestrator.Persistence;
using Orchestrator.Sagas.EntityFrameworkCore;
using Orchestrator.ServiceDefaults;

namespace Orchestrator.Callbacks;

/// <summary>
/// Delivers the callback events the <see cref="CallbackOutbox"/> wrote. Like the retry poller, every orchestrator
/// claims due rows (<c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL, so no two nodes take the same one), but the claim only
/// sets a lease (the row's next due time, past the attempt's timeout) and commits: the POST runs outside any
/// transaction, and its outcome is written in a transaction of its own. A process that dies mid-delivery leaves the
/// lease to run out, and the event is tried again (at least once).
/// </summary>
/// <remarks>
/// A slow or dead receiver holds only its own slots: deliveries run concurrently up to <c>MaxConcurrency</c>, at most
/// <c>MaxConcurrencyPerHost</c> to one host (an event whose host is full is put back for a second or two), each within
/// <c>Timeout</c>. None of it touches a request's row, so a request's life never waits for its callback.
/// </remarks>
public sealed class CallbackDeliverer(
    IServiceScopeFactory scopes,
    StoreSettings store,
    WriterGate writers,
    TimeProvider clock,
    IOptions<CallbackOptions> options,
    CallbackWakeups wakeups,
    CallbackHttp http,
    IHostApplicationLifetime lifetime,
    ILogger<CallbackDeliverer> logger) : BackgroundService
{
    /// <summary>How long past its timeout a claimed attempt's lease lasts before another pass may take the event.</summary>
    static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(30);

    const string PostgresClaim = """
        SELECT event_id FROM callback_events
        WHERE state = 'Pending' AND next_attempt_at <= @now
        ORDER BY next_attempt_at LIMIT @batch
        FOR UPDATE SKIP LOCKED
        """;

    // One process owns an embedded SQLite file, and its writer gate is held for the claim.
    const string SqliteClaim = """
        SELECT event_id FROM callback_events
        WHERE state = 'Pending' AND next_attempt_at <= @now
        ORDER BY next_attempt_at LIMIT @batch
        """;

    readonly ConcurrentDictionary<string, int> _perHost = new(StringComparer.OrdinalIgnoreCase);
    readonly ConcurrentDictionary<Task, bool> _running = new();
    int _inFlight;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await lifetime.WaitForStartAsync(stoppingToken))
            return;
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = 0;
            try
            {
                started = await ClaimAndStartAsync(settings, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                logger.CallbackPassFailed(exception);
                await Quietly(Task.Delay(TimeSpan.FromSeconds(1), stoppingToken));
                continue;
            }
            if (started == 0)
                await Quietly(wakeups.WaitAsync(settings.PollInterval, stoppingToken));
        }
        // In-flight deliveries see the stop and end unrecorded: their leases run out and they are tried again.
        await Quietly(Task.WhenAll(_running.Keys));
    }

    /// <summary>Claims due events up to the free slots, leases them and starts their deliveries; returns how many started.</summary>
    public async Task<int> ClaimAndStartAsync(CallbackOptions settings, CancellationToken cancellationToken)
    {
        var free = settings.MaxConcurrency - Volatile.Read(ref _inFlight);
        if (free <= 0)
            return 0;
        var starts = new List<Claimed>();
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
            db.Database.AutoSavepointsEnabled = false;
            using var turn = await writers.EnterAsync(cancellationToken);
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            var now = clock.GetUtcNow().UtcDateTime;
            var ids = await ClaimAsync(db.Database.GetDbConnection(), tx.GetDbTransaction(), now, free, cancellationToken);
            if (ids.Count == 0)
                return 0;
            var events = await db.CallbackEvents.AsTracking().Where(x => ids.Contains(x.EventId)).ToListAsync(cancellationToken);
            foreach (var callback in events)
            {
                var host = HostKey(callback.Url);
                if (!TryTakeSlot(host, settings.MaxConcurrencyPerHost))
                {
                    // The host has all its slots: back in a second or two, no attempt spent.
                    callback.NextAttemptAt = now + TimeSpan.FromMilliseconds(1000 + Random.Shared.Next(1000));
                    continue;
                }
                callback.NextAttemptAt = now + settings.Timeout + LeaseMargin;
                starts.Add(new Claimed(callback.EventId, callback.RequestId, callback.Type, callback.Url, callback.Body, callback.Attempts + 1, host));
            }
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
            }
            catch
            {
                foreach (var start in starts)
                    ReleaseSlot(start.Host);
                throw;
            }
            db.Database.AutoSavepointsEnabled = true;
        }

        foreach (var start in starts)
        {
            Interlocked.Increment(ref _inFlight);
            var task = Task.Run(() => DeliverAsync(start, settings, cancellationToken), CancellationToken.None);
            _running[task] = true;
            _ = task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
        }
        return starts.Count;
    }

    async Task<List<string>> ClaimAsync(DbConnection connection, DbTransaction tx, DateTime now, int batch, CancellationToken cancellationToken)
    {
        await using var command = DbCommands.Create(connection, tx, store.Kind == StoreKind.Postgres ? PostgresClaim : SqliteClaim)
            .With("@now", now)
            .With("@batch", batch);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            ids.Add(reader.GetString(0));
        return ids;
    }

    async Task DeliverAsync(Claimed callback, CallbackOptions settings, CancellationToken stopping)
    {
        try
        {
            var outcome = await SendAsync(callback, settings, stopping);
            if (stopping.IsCancellationRequested)
                return;
            await RecordAsync(callback, outcome, settings);
        }
        catch (Exception exception) when (!stopping.IsCancellationRequested)
        {
            logger.CallbackNotRecorded(exception, callback.EventId, callback.Attempt);
        }
        catch (Exception)
        {
            // Stopping: the lease runs out and the event is tried again.
        }
        finally
        {
            ReleaseSlot(callback.Host);
            Interlocked.Decrement(ref _inFlight);
            wakeups.Signal();
        }
    }

    /// <summary>One POST: the status the receiver answered, or why none came.</summary>
    async Task<Outcome> SendAsync(Claimed callback, CallbackOptions settings, CancellationToken stopping)
    {
        var started = Stopwatch.GetTimestamp();
        // The URL was admitted under the configuration of its time; it must still pass (an allowlist may have shrunk).
        if (CallbackGate.Problem(callback.Url, settings) is { } refused)
            return new Outcome(null, $"not sent: {refused}", 0, Final: true);

        var body = Encoding.UTF8.GetBytes(callback.Body);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, callback.Url);
        // A byte array content has a known length: Content-Length, never chunked.
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("webhook-id", callback.EventId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", CallbackSignature.Sign(callback.EventId, timestamp, body, settings.SigningKeys()));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            using var response = await http.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            var error = status switch
            {
                >= 200 and < 300 => null,
                >= 300 and < 400 => $"{status} {response.ReasonPhrase}: redirects are not followed{(response.Headers.Location is { } to ? $" (to {to})" : "")}",
                410 => "410 Gone: the receiver wants no more deliveries",
                _ => $"{status} {response.ReasonPhrase}",
            };
            return new Outcome(status, error, Elapsed(started), Final: status == 410);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return new Outcome(null, $"no answer within {settings.Timeout.TotalSeconds:0.###} s", Elapsed(started), Final: false);
        }
        catch (HttpRequestException exception) when (Find<CallbackAddressRefusedException>(exception) is { } addressRefused)
        {
            return new Outcome(null, addressRefused.Message, Elapsed(started), Final: false);
        }
        catch (HttpRequestException exception)
        {
            return new Outcome(null, exception.InnerException is { } inner ? $"{exception.Message} ({inner.Message})" : exception.Message, Elapsed(started), Final: false);
        }
    }

    /// <summary>Writes the attempt and what follows it: delivered, given up, or the next attempt's time.</summary>
    async Task RecordAsync(Claimed callback, Outcome outcome, CallbackOptions settings)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var row = await db.CallbackEvents.AsTracking().SingleOrDefaultAsync(x => x.EventId == callback.EventId);
        if (row is null)
            return;
        var now = clock.GetUtcNow().UtcDateTime;
        row.Attempts = Math.Max(row.Attempts + 1, callback.Attempt);
        row.LastStatus = outcome.Status;
        row.LastError = outcome.Error;
        var error = outcome.Error;
        if (error is null)
        {
            row.State = CallbackEvent.Delivered;
            row.DeliveredAt = now;
            row.NextAttemptAt = null;
            logger.CallbackDelivered(row.EventId, row.Type, row.RequestId, row.Attempts, outcome.Status ?? 0);
        }
        else
        {
            var made = row.Attempts - row.AttemptBase;
            var next = now + CallbackBackoff.Delay(settings, made, Random.Shared.NextDouble());
            var end = outcome.Final ? null
                : made >= settings.MaximumAttempts ? $"gave up after {made} attempts ({CallbackOptions.SectionName}:MaximumAttempts)"
                : next > row.ExpiresAt ? $"gave up: the next attempt would fall after the event's maximum age ({row.ExpiresAt:O})"
                : null;
            if (outcome.Final || end is not null)
            {
                row.State = CallbackEvent.Failed;
                row.NextAttemptAt = null;
                if (end is not null)
                    row.LastError = error = $"{error}; {end}";
                logger.CallbackGaveUp(row.EventId, row.Type, row.RequestId, row.Attempts, error);
            }
            else
            {
                row.NextAttemptAt = next;
                logger.CallbackRetrying(row.EventId, row.Type, row.RequestId, row.Attempts, error, next);
            }
        }
        db.CallbackDeliveries.Add(new CallbackDelivery
        {
            EventId = row.EventId,
            CorrelationId = row.CorrelationId,
            Type = row.Type,
            Attempt = row.Attempts,
            AttemptedAt = now,
            StatusCode = outcome.Status,
            Error = error,
            DurationMs = outcome.DurationMs,
            NextAttemptAt = row.NextAttemptAt,
        });
        using var turn = await writers.EnterAsync(CancellationToken.None);
        await db.SaveChangesAsync(CancellationToken.None);
    }

    bool TryTakeSlot(string host, int limit)
    {
        while (true)
        {
            var current = _perHost.GetOrAdd(host, 0);
            if (current >= limit)
                return false;
            if (_perHost.TryUpdate(host, current + 1, current))
                return true;
        }
    }

    void ReleaseSlot(string host) => _perHost.AddOrUpdate(host, 0, (_, n) => Math.Max(0, n - 1));

    // Host and port: two services on one machine are two receivers, and one that hangs must not hold the other's slots.
    static string HostKey(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.IdnHost}:{uri.Port}" : url;

    static long Elapsed(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    static T? Find<T>(Exception exception)
        where T : Exception
    {
        var e = exception;
        while (e is not null and not T)
            e = e.InnerException;
        return e as T;
    }

    static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    sealed record Claimed(string EventId, string RequestId, string Type, string Url, string Body, int Attempt, string Host);

    /// <summary>What one attempt came to: the status (null when none came), the error (null for a 2xx), whether it ends the event.</summary>
    sealed record Outcome(int? Status, string? Error, long DurationMs, bool Final);
}
