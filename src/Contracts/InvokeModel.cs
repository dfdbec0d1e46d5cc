namespace Orchestrator.Contracts;

/// <summary>Command from the orchestrator to a worker: make attempt <see cref="Attempt"/> of a request.</summary>
public sealed record InvokeModel
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>1 for the first attempt.</summary>
    public required int Attempt { get; init; }

    /// <summary>The model name.</summary>
    public required string Model { get; init; }

    /// <summary>The conversation.</summary>
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>Sampling parameters.</summary>
    public GenerationParameters? Parameters { get; init; }

    /// <summary>The request's priority, 1–5 (also the broker message's priority); every attempt keeps it.</summary>
    public int Priority { get; init; } = RequestPriority.Default;

    /// <summary>The request's overall deadline; a worker does not start a call after it.</summary>
    public DateTimeOffset? Deadline { get; init; }
}
