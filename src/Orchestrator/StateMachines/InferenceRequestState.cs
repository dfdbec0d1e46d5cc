using MassTransit;
using Orchestrator.Contracts;
using Orchestrator.Sagas.EntityFrameworkCore;
using Orchestrator.Submission;

namespace Orchestrator.StateMachines;

/// <summary>
/// One inference request: the saga row operators read in <c>inference_requests</c>. Timestamps are UTC.
/// </summary>
public partial class InferenceRequestState : SagaStateMachineInstance, IVersionedSaga
{
    /// <summary>Name-based UUID of <see cref="RequestId"/>.</summary>
    public Guid CorrelationId { get; set; }

    /// <summary>The state's readable name; null only between the pre-insert and the first transition.</summary>
    public string? CurrentState { get; set; }

    public string RequestId { get; set; } = "";

    /// <summary>Starts at 1; a request id reused after its retention window runs again as the next generation.</summary>
    public int Generation { get; set; } = 1;

    public string Model { get; set; } = "";

    /// <summary>1–5, 5 the most urgent: the submitted value, or the configured default. Every attempt is dispatched with it.</summary>
    public int Priority { get; set; } = RequestPriority.Default;

    /// <summary>The request as submitted (messages and parameters), JSON.</summary>
    public string Payload { get; set; } = "{}";

    /// <summary>SHA-256 of the canonical request, to tell a true duplicate from a conflicting reuse of the id.</summary>
    public string PayloadHash { get; set; } = "";

    public string? SourceService { get; set; }

    /// <summary>Client metadata, JSON object or null.</summary>
    public string? Metadata { get; set; }

    /// <summary>
    /// Attempts dispatched: the number of the attempt in flight (Pending, Processing), else of the last one made; 0
    /// before the first. A dispatch held by a cooldown or refused by open breakers made no call and is not counted: the
    /// next attempt is always <c>Attempt + 1</c>.
    /// </summary>
    public int Attempt { get; set; }

    public string? FailureKind { get; set; }
    public string? Reason { get; set; }

    public string? Output { get; set; }
    public string? FinishReason { get; set; }
    public double? Confidence { get; set; }
    public int? PromptTokens { get; set; }
    public int? CompletionTokens { get; set; }

    public DateTime? Deadline { get; set; }
    /// <summary>When the scheduled retry is due (RetryScheduled only).</summary>
    public DateTime? NextAttemptAt { get; set; }

    /// <summary>Identifies the current backoff timer: a fire carrying another token is stale and ignored.</summary>
    public Guid? RetryToken { get; set; }

    /// <summary>When the current attempt times out if no result arrives (Pending and Processing).</summary>
    public DateTime? AttemptTimeoutAt { get; set; }

    /// <summary>The last backoff chosen, for decorrelated jitter.</summary>
    public long? LastBackoffMs { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }

    /// <summary>What the output gate said (passed, or why it was held for review, and the review's verdict).</summary>
    public string? Decision { get; set; }

    /// <summary>When an operator paused the request (state Paused); null otherwise.</summary>
    public DateTime? PausedAt { get; set; }

    /// <summary>
    /// Set while the request waits because no endpoint of its model may be called: every worker breaker was open, or
    /// every endpoint is cooling down for the fleet. No attempt is spent; attempt <c>Attempt + 1</c> is dispatched then.
    /// </summary>
    public DateTime? HeldUntil { get; set; }

    /// <summary>Why the request is held (which endpoints, until when, and what was seen).</summary>
    public string? HeldReason { get; set; }

    /// <summary>1, then one more each time an operator reopens a Failed request: the next outcome is a new message.</summary>
    public int Run { get; set; } = 1;

    /// <summary>Attempts made before the current run; the retry budget counts from here.</summary>
    public int AttemptBase { get; set; }

    /// <summary>The W3C trace context of the submission: retries fired later continue this trace.</summary>
    public string? TraceParent { get; set; }

    /// <summary>The batch the request came in (<c>batches.id</c>), or null for a request submitted alone.</summary>
    public string? BatchId { get; set; }

    /// <summary>The batch line's <c>custom_id</c>, as the file gave it.</summary>
    public string? CustomId { get; set; }

    /// <summary>The line of the batch file the request came from, 1-based: results stream in this order.</summary>
    public int? BatchLine { get; set; }

    /// <summary>Where each outcome is POSTed (Callbacks/), or null; checked at admission.</summary>
    public string? CallbackUrl { get; set; }

    /// <summary>Optimistic concurrency token: bumped on every update; an update that finds another value retries.</summary>
    public int Version { get; set; }

    /// <summary>One row per attempt a worker started, in <c>inference_attempts</c>.</summary>
    public List<AttemptRecord> Attempts { get; set; } = [];

    /// <summary>
    /// A new saga for a submission, before its first transition (state null). The API inserts it so a request is
    /// visible from the moment it is accepted; the saga repository's pre-insert builds the same for the bus.
    /// </summary>
    public static InferenceRequestState Create(InferenceRequested message, DateTime utcNow, int defaultPriority = RequestPriority.Default) => new()
    {
        CorrelationId = RequestIdentity.ToCorrelationId(message.RequestId),
        RequestId = message.RequestId,
        Model = message.Model ?? "",
        Priority = message.Priority ?? defaultPriority,
        Payload = RequestPayload.From(message).ToJson(),
        PayloadHash = RequestPayload.Hash(message),
        SourceService = message.SourceService,
        Metadata = RequestPayload.MetadataJson(message.Metadata),
        Deadline = message.Deadline?.UtcDateTime,
        CallbackUrl = message.Callback?.Url,
        CreatedAt = utcNow,
        UpdatedAt = utcNow,
    };
}
