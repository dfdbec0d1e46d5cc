using System.Security.Cryptography;
using System.Text;
using Orchestrator.Submission;

namespace Orchestrator.Batches;

/// <summary>Batch ids, and the request id of each line: derived from (batch id, custom_id), so a resubmission finds the same rows.</summary>
public static class BatchIdentity
{
    // A fixed namespace of our own for batch message ids: changing it would re-name every completion.
    static readonly Guid CompletionNamespace = new("a3c1f0e2-6b5d-4f7a-8e29-3d4c5b6a7f80");
    static readonly Guid CallbackNamespace = new("5e0b7c41-92d8-4a1f-b6e3-0c7d2f9a4e18");

    /// <summary>The MessageId of a batch's <see cref="Contracts.BatchCompleted"/>: the same for every publish of one completion.</summary>
    public static Guid CompletionMessageId(string batchId, int completion) =>
        RequestIdentity.NameBased(CompletionNamespace, $"{batchId}/completed/{completion}");

    /// <summary>
    /// The key a batch's callback events carry in <c>callback_events.correlation_id</c>: name-based on the batch id in a
    /// namespace of its own, so it can never be a request's correlation id.
    /// </summary>
    public static Guid CallbackKey(string batchId) => RequestIdentity.NameBased(CallbackNamespace, batchId);

    /// <summary>
    /// The <c>webhook-id</c> of a completion's <c>batch.completed</c>: <c>evt_</c> and 32 hex digits of a hash over the
    /// batch, its creation and the completion, so a completion recorded twice (it cannot be: the record is conditional)
    /// could still not announce itself twice, and a batch id used again after retention gets new ids.
    /// </summary>
    public static string CompletionEventId(BatchRecord batch, int completion)
    {
        var key = $"batch|{batch.Id}|{batch.CreatedAt.Ticks}|{completion}";
        return "evt_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 16));
    }

    /// <summary>A fresh id for a batch submitted without an Idempotency-Key.</summary>
    public static string NewBatchId() => "batch-" + Guid.CreateVersion7().ToString("N");

    /// <summary>The reason a batch id is refused, or null when it is valid (a request id's rules).</summary>
    public static string? Problem(string? batchId) =>
        RequestIdentity.Problem(batchId)?.Replace("requestId", "the batch id (Idempotency-Key)", StringComparison.Ordinal);

    /// <summary>
    /// <c>{batchId}:{customId}</c> when that is a valid request id, so operators can read it; otherwise (too long,
    /// characters a request id may not hold, or a custom_id starting with ':' that could pose as the hashed form)
    /// <c>{batchId, cut to fit}::{32 hex digits of SHA-256 over both}</c>. Unique per (batch, custom_id) up to the
    /// hash, stable, and at most 128 characters.
    /// </summary>
    public static string RequestId(string batchId, string customId)
    {
        var plain = $"{batchId}:{customId}";
        if (!customId.StartsWith(':') && RequestIdentity.IsValid(plain))
            return plain;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{batchId}\n{customId}")))[..32];
        var room = RequestIdentity.MaxLength - 2 - hash.Length;
        return $"{(batchId.Length > room ? batchId[..room] : batchId)}::{hash}";
    }
}
