using System.Globalization;
using System.Text;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orchestrator.Persistence;
using Orchestrator.Retries;
using Orchestrator.Sagas.EntityFrameworkCore;
using Orchestrator.Scheduling;
using Orchestrator.StateMachines;
using Orchestrator.StateMachines.Activities;
using Orchestrator.Submission;

namespace Orchestrator.Batches;

/// <summary>
/// Takes a batch file in two passes, so that it is accepted whole or not at all and never held in memory whole. The
/// first pass reads the body line by line, checks each line as <c>POST /api/requests</c> would check its body, and
/// spools the valid lines to a temporary file; any invalid line refuses the batch and nothing is written. The second
/// pass writes the batch row and every request row in one transaction (in chunks, the change tracker cleared between
/// them), admitted as the API admits a request (<see cref="InferenceRequestStateMachine.Admit"/>); after the commit
/// the batch is answered and its first attempts are published behind the answer (<see cref="BatchDispatcher"/>), page
/// by page, read back from the rows.
/// </summary>
public sealed class BatchSubmissions(
    OrchestratorDbContext db,
    IPublishEndpoint publish,
    InferenceRequestStateMachine machine,
    RequestAdmission admission,
    IOptions<ValidationOptions> validation,
    IOptions<RetryPolicyOptions> retryPolicy,
    WriterGate writers,
    RetryWakeups wakeups,
    BatchDispatcher dispatcher,
    TimeProvider clock,
    ILogger<BatchSubmissions> logger)
{
    /// <summary>The most line errors one refusal lists.</summary>
    public const int MaxErrorsListed = 100;

    // Rows a save: a thousand held their entities and the insert's parameters and text at once, and grew the
    // process by ~70 MB more than 250 (bench/README.md, Batches).
    const int Chunk = 250;
    const int DispatchPage = 500;
    static readonly TimeSpan DispatchTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Takes the batch, or answers the existing one of that id (whose callback URL stays the one it was created with,
    /// as a request's does).
    /// </summary>
    public async Task<BatchSubmissionOutcome> SubmitAsync(Stream body, string batchId, BatchDefaults defaults, string? completionWindow,
        string? callbackUrl, CancellationToken cancellationToken)
    {
        if (await db.Batches.AsNoTracking().SingleOrDefaultAsync(x => x.Id == batchId, cancellationToken) is { } known)
            return new BatchSubmissionOutcome.Existing(known);

        var spoolPath = Path.Combine(Path.GetTempPath(), $"orchestrator-batch-{Guid.NewGuid():N}.jsonl");
        await using var spool = new FileStream(spoolPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Pass 1: every line checked, the valid ones spooled as "<line number> <line>".
        var now = clock.GetUtcNow();
        var errors = new List<BatchLineError>();
        var invalid = 0;
        var lines = 0;
        var customIds = new HashSet<string>(StringComparer.Ordinal);
        await using (var writer = new StreamWriter(spool, new UTF8Encoding(false), 64 * 1024, leaveOpen: true))
        {
            using var reader = new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 64 * 1024, leaveOpen: true);
            var number = 0;
            while (await reader.ReadLineAsync(cancellationToken) is { } text)
            {
                number++;
                if (string.IsNullOrWhiteSpace(text))
                    continue;
                lines++;
                var line = BatchLineReader.Read(text, number, batchId, defaults, validation.Value, retryPolicy.Value, now);
                var error = line.Error;
                if (line.CustomId is { } customId && !customIds.Add(customId))
                    error = (error is null ? "" : error + "; ") + $"custom_id '{customId}' is used by an earlier line; each line needs its own";
                if (error is not null)
                {
                    invalid++;
                    if (errors.Count < MaxErrorsListed)
                        errors.Add(new BatchLineError(number, line.CustomId, error));
                    continue;
                }
                if (invalid == 0)
                {
                    await writer.WriteAsync(number.ToString(CultureInfo.InvariantCulture).AsMemory(), cancellationToken);
                    await writer.WriteAsync(' ');
                    await writer.WriteLineAsync(text.AsMemory(), cancellationToken);
                }
            }
        }
        if (lines == 0)
            errors.Add(new BatchLineError(0, null, "the file has no lines: one JSON object a line, each a request"));
        if (errors.Count > 0)
        {
            logger.BatchRefused(batchId, Math.Max(invalid, 1), lines);
            return new BatchSubmissionOutcome.Refused(errors, Math.Max(invalid, 1), lines);
        }

        // Pass 2: one transaction for the batch and all its requests.
        var checkMs = watch.ElapsedMilliseconds;
        watch.Restart();
        spool.Position = 0;
        var batch = new BatchRecord
        {
            Id = batchId,
            CreatedAt = now.UtcDateTime,
            Total = lines,
            Priority = defaults.Priority,
            CompletionWindow = completionWindow,
            CallbackUrl = callbackUrl,
        };
        using (var turn = await writers.EnterAsync(cancellationToken))
        {
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            db.Batches.Add(batch);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException exception) when (UniqueViolation.Is(exception))
            {
                // The same batch id, submitted concurrently, committed first.
                await tx.RollbackAsync(CancellationToken.None);
                db.ChangeTracker.Clear();
                return new BatchSubmissionOutcome.Existing(await db.Batches.AsNoTracking().SingleAsync(x => x.Id == batchId, cancellationToken));
            }
            db.ChangeTracker.Clear();

            using var reader = new StreamReader(spool, Encoding.UTF8, false, 64 * 1024, leaveOpen: true);
            var chunk = new List<InferenceRequestState>(Chunk);
            try
            {
                while (await reader.ReadLineAsync(cancellationToken) is { } spooled)
                {
                    var space = spooled.IndexOf(' ', StringComparison.Ordinal);
                    var number = int.Parse(spooled.AsSpan(0, space), CultureInfo.InvariantCulture);
                    var line = BatchLineReader.Read(spooled[(space + 1)..], number, batchId, defaults, validation.Value, retryPolicy.Value, now);
                    var saga = admission.NewRow(line.Request!);
                    saga.BatchId = batchId;
                    saga.CustomId = line.CustomId;
                    saga.BatchLine = number;
                    saga.CreatedAt = saga.UpdatedAt = now.UtcDateTime;
                    machine.Admit(saga);
                    chunk.Add(saga);
                    if (chunk.Count == Chunk)
                        await SaveAsync(chunk, cancellationToken);
                }
                await SaveAsync(chunk, cancellationToken);
                await tx.CommitAsync(cancellationToken);
            }
            catch (DbUpdateException exception) when (UniqueViolation.Is(exception))
            {
                await tx.RollbackAsync(CancellationToken.None);
                db.ChangeTracker.Clear();
                return new BatchSubmissionOutcome.Conflict(
                    $"a request id derived from batch '{batchId}' and a custom_id is already used by a request outside this batch; submit under another batch id");
            }
        }

        logger.BatchAccepted(batchId, lines, checkMs, watch.ElapsedMilliseconds);
        dispatcher.Dispatch(batchId);
        return new BatchSubmissionOutcome.Accepted(batch);
    }

    /// <summary>Inserts a chunk of new rows, numbered as every new row is, and lets the change tracker go of them.</summary>
    async Task SaveAsync(List<InferenceRequestState> chunk, CancellationToken cancellationToken)
    {
        await RequestGenerations.NumberAllAsync(db, chunk, cancellationToken);
        db.Requests.AddRange(chunk);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        chunk.Clear();
    }

    /// <summary>
    /// Publishes the first attempt of every committed request of the batch, a page at a time. As for a single
    /// submission (<see cref="Submissions.DispatchAsync"/>): one the broker does not confirm counts as made, and attempt 2
    /// is scheduled at once for the retry poller; the rows are accepted either way, and a crash before this ends is
    /// repaired by the attempt timeouts.
    /// </summary>
    public async Task<int> DispatchAsync(string batchId, CancellationToken stoppingToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var after = 0;
        var published = 0;
        var unconfirmed = 0;
        while (true)
        {
            var page = await db.Requests.Include(x => x.Attempts)
                .Where(x => x.BatchId == batchId && x.BatchLine > after && x.CurrentState == RequestStates.Pending)
                .OrderBy(x => x.BatchLine).Take(DispatchPage).ToListAsync(stoppingToken);
            if (page.Count == 0)
                break;
            after = page[^1].BatchLine!.Value;
            published += page.Count;

            var failed = new List<(InferenceRequestState Saga, string Why)>();
            await Task.WhenAll(page.Select(async saga =>
            {
                var invocation = saga.Invocation();
                try
                {
                    using var timeout = new CancellationTokenSource(DispatchTimeout);
                    await publish.Publish(invocation, p => p.TrySetPriority(InferenceRequestMessages.BrokerPriority(invocation.Priority)), timeout.Token);
                }
                catch (Exception exception)
                {
                    var why = exception is OperationCanceledException ? $"no confirm within {DispatchTimeout.TotalSeconds:0} s" : exception.Message;
                    lock (failed)
                        failed.Add((saga, why));
                }
            }));

            if (failed.Count > 0)
            {
                var now = clock.GetUtcNow().UtcDateTime;
                foreach (var (saga, why) in failed)
                {
                    saga.DispatchUnconfirmed(now,
                        $"the broker did not confirm attempt {saga.Attempt}'s command ({why}); it may still reach a worker, so attempt {saga.Attempt + 1} goes instead");
                }
                try
                {
                    using var turn = await writers.EnterAsync(CancellationToken.None);
                    await db.SaveChangesAsync(CancellationToken.None);
                    wakeups.Due(now);
                }
                catch (DbUpdateConcurrencyException)
                {
                    // A row moved on: its command did reach a worker, whose report the saga recorded. The attempt
                    // timeouts repair any other row of this page.
                }
                unconfirmed += failed.Count;
            }
            db.ChangeTracker.Clear();
        }
        if (unconfirmed > 0)
            logger.BatchDispatchUnconfirmed(batchId, unconfirmed);
        logger.BatchDispatched(batchId, published - unconfirmed, watch.ElapsedMilliseconds);
        return published - unconfirmed;
    }
}
