namespace Orchestrator.Contracts;

/// <summary>
/// Published by a service that wants a model to answer. The orchestrator owns the request from here on and
/// publishes exactly one <see cref="InferenceSucceeded"/> or <see cref="InferenceFailed"/> for it.
/// </summary>
/// <remarks>
/// <para>
/// Published to the fanout exchange <c>Orchestrator.Contracts:InferenceRequested</c>. Publishing the same
/// <see cref="RequestId"/> again never creates a second request.
/// </para>
/// <para>
/// The orchestrator reads the message's JSON as it reads the body of <c>POST /api/requests</c>, in OpenAI's shape:
/// a message's <c>content</c> is a string or an array of parts, and the generation parameters may stand at the top
/// level (<c>temperature</c>, <c>top_p</c>, <c>max_tokens</c>, <c>stop</c>, <c>seed</c>, ...) as well as under
/// <c>parameters</c>, in camelCase or snake_case. A field it does not know is refused by name: the request ends
/// <c>Failed</c> with <see cref="FailureKind.InvalidInput"/>, as it does for any other problem once the request id can
/// be read. A message without a readable request id cannot name a request and goes to the <c>_error</c> queue.
/// </para>
/// </remarks>
public sealed record InferenceRequested
{
    /// <summary>The client's id for the request: 1–128 characters of <c>[A-Za-z0-9._:-]</c>, e.g. <c>req-001</c>.</summary>
    public required string RequestId { get; init; }

    /// <summary>The model name, one of the orchestrator's configured models (e.g. <c>sim</c>).</summary>
    public required string Model { get; init; }

    /// <summary>The conversation; the last message is usually the user's.</summary>
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>Sampling parameters; null for the model's defaults. On the wire also accepted at the top level.</summary>
    public GenerationParameters? Parameters { get; init; }

    /// <summary>
    /// Absolute time after which the request fails with <see cref="FailureKind.DeadlineExceeded"/>. A new request whose
    /// deadline has already passed fails so at once, without a model call.
    /// </summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Free-form labels kept with the request and returned by the API.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>This request's own retry limits, within the server's caps; null for the server's policy.</summary>
    public RetryPolicyOverride? Retry { get; init; }

    /// <summary>
    /// 1–5, 5 the most urgent (<see cref="RequestPriority"/>); null for the orchestrator's configured default (3).
    /// When the workers are saturated, waiting invokes of a higher priority are handed out first.
    /// </summary>
    public int? Priority { get; init; }

    /// <summary>The publishing service's name, kept for operators.</summary>
    public string? SourceService { get; init; }

    /// <summary>Where to POST the outcome, signed (<see cref="CallbackTarget"/>); null for no callback.</summary>
    public CallbackTarget? Callback { get; init; }
}
