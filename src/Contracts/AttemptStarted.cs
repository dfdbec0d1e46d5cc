namespace Orchestrator.Contracts;

/// <summary>A worker picked up an attempt and is about to call the model.</summary>
public sealed record AttemptStarted
{
    /// <summary>The client's request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>The attempt number.</summary>
    public required int Attempt { get; init; }

    /// <summary>The worker instance, for the attempts table.</summary>
    public required string WorkerId { get; init; }

    /// <summary>When the worker started the attempt.</summary>
    public required DateTimeOffset StartedAt { get; init; }
}
