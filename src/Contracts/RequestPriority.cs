namespace Orchestrator.Contracts;

/// <summary>
/// The range of <see cref="InferenceRequested.Priority"/>: 1 (least urgent) to 5 (most urgent). The worker queue is a
/// RabbitMQ priority queue with exactly <see cref="Highest"/> levels, so a value outside the range is refused.
/// </summary>
public static class RequestPriority
{
    /// <summary>The least urgent priority.</summary>
    public const int Lowest = 1;

    /// <summary>The most urgent priority; also the worker queue's <c>x-max-priority</c>.</summary>
    public const int Highest = 5;

    /// <summary>The orchestrator's default for a request that names none (configurable there).</summary>
    public const int Default = 3;
}
