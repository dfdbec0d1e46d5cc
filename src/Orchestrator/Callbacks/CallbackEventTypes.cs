using Orchestrator.StateMachines;

namespace Orchestrator.Callbacks;

/// <summary>The event types a request's callback receives, by the state that announces them, and a batch's.</summary>
public static class CallbackEventTypes
{
    public const string Succeeded = "inference.succeeded";
    public const string Failed = "inference.failed";
    public const string Cancelled = "inference.cancelled";
    public const string AwaitingReview = "inference.awaiting_review";

    /// <summary>A batch's every request finished (its state Completed or Cancelled); the only type a batch's callback receives.</summary>
    public const string BatchCompleted = "batch.completed";

    /// <summary>The type a change into <paramref name="state"/> announces, or null when it announces none.</summary>
    public static string? Of(string? state) => state switch
    {
        RequestStates.Succeeded => Succeeded,
        RequestStates.Failed => Failed,
        RequestStates.Cancelled => Cancelled,
        RequestStates.AwaitingReview => AwaitingReview,
        _ => null,
    };
}
