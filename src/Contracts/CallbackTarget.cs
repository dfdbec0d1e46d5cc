namespace Orchestrator.Contracts;

/// <summary>
/// Where the orchestrator POSTs a request's outcome (<c>inference.succeeded</c>, <c>inference.failed</c>,
/// <c>inference.cancelled</c>) and its hold for review (<c>inference.awaiting_review</c>), signed per the Standard
/// Webhooks spec. On the wire: <c>"callback": {"url": "https://..."}</c>.
/// </summary>
/// <remarks>
/// The URL must be <c>https</c> and must not name a loopback, private, link-local or metadata address, unless its
/// host is one the orchestrator allows (<c>Orchestrator:Callbacks:AllowedHosts</c>). A refused URL fails the request
/// with <see cref="FailureKind.InvalidInput"/> (the API answers 400), naming <c>callback.url</c>.
/// </remarks>
public sealed record CallbackTarget
{
    /// <summary>The absolute URL to POST to, e.g. <c>https://example.com/hooks/inference</c>.</summary>
    public required string Url { get; init; }
}
