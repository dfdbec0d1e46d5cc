using Orchestrator.Fleet;
using Orchestrator.Telemetry;

namespace Orchestrator.StateMachines;

/// <summary>
/// The orchestrator's side of a fleet-wide cooldown: when every endpoint of the request's model is cooling down, the
/// attempt is not dispatched (a worker could only refuse it). The row keeps the attempt number and says until when and
/// why (<see cref="InferenceRequestState.HeldUntil"/>, <see cref="InferenceRequestState.HeldReason"/>); its retry
/// timer fires then, and the same attempt is dispatched, or held again. No attempt is spent, and the deadline still
/// applies: a hold never reaches past it.
/// </summary>
internal sealed class DispatchHold(FleetView fleet, InferenceRequestStateMachine.Dependencies ctx)
{
    /// <summary>Holds the saga's current attempt if its model is held; true when it did.</summary>
    public bool Apply(InferenceRequestState saga)
    {
        if (fleet.HoldFor(saga.Model) is not { } hold)
            return false;
        var now = ctx.Clock.GetUtcNow().UtcDateTime;
        var until = hold.Until.UtcDateTime;
        if (saga.Deadline is { } deadline && deadline < until)
            until = deadline;
        saga.HeldUntil = until;
        saga.HeldReason = hold.Reason;
        saga.NextAttemptAt = until;
        saga.RetryToken = Guid.NewGuid();
        saga.RetryClaimedAt = null;
        saga.AttemptTimeoutAt = null;
        saga.UpdatedAt = now;
        ctx.Wakeups.Due(until);
        ctx.Metrics.DispatchHeld(saga.Model);
        ctx.Logger.DispatchHeld(saga.RequestId, saga.Attempt, until, hold.Reason);
        return true;
    }
}
