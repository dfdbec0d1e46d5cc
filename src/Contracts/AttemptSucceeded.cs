namespace Orchestrator.Contracts;

/// <summary>A worker's attempt got an answer from the model.</summary>
public sealed record AttemptSucceeded
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>The attempt number.</summary>
    public required int Attempt { get; init; }

    /// <summary>The worker instance.</summary>
    public required string WorkerId { get; init; }

    /// <summary>The endpoint that answered: the first of the model's endpoints whose breaker let the call through.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The assistant's text.</summary>
    public required string Output { get; init; }

    /// <summary>The endpoint's finish reason (<c>stop</c>, <c>length</c>, ...).</summary>
    public string? FinishReason { get; init; }

    /// <summary>Geometric-mean token probability from the log-probabilities, when the endpoint returned them.</summary>
    public double? Confidence { get; init; }

    /// <summary>Token counts, when the endpoint returned them.</summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>The HTTP status of the call (200).</summary>
    public int HttpStatus { get; init; }

    /// <summary>When the worker started the attempt.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the answer arrived.</summary>
    public required DateTimeOffset FinishedAt { get; init; }
}
