using Orchestrator.Fleet;
using Orchestrator.Scheduling;
using Orchestrator.Telemetry;

namespace Orchestrator.StateMachines.Activities;

/// <summary>
/// The orchestrator's side of a fleet-wide cooldown: when every endpoint of the request's model is cooling down, the
/// attempt is not dispatched (a worker could only refuse it). The row gives the attempt's number back and says until when and
/// why (<see cref="InferenceRequestState.HeldUntil"/>, <see cref="InferenceRequestState.HeldReason"/>); its retry
/// timer fires then, and the same attempt is dispatched, or held again. No attempt is spent, and the deadline still
/// applies: a hold never reaches past it.
/// </summary>
public sealed class DispatchHold(FleetView fleet, TimeProvider clock, RetryWakeups wakeups, OrchestratorMetrics metrics, ILogger<DispatchHold> logger)
    : SagaActivity
{
    protected override void Run(InferenceRequestState saga) => Apply(saga);

    /// <summary>Holds the saga's current attempt if its model is held; true when it did.</summary>
    public bool Apply(InferenceRequestState saga)
    {
        if (fleet.HoldFor(saga.Model) is not { } hold)
            return false;
        var until = hold.Until.UtcDateTime;
        if (saga.Deadline is { } deadline && deadline < until)
            until = deadline;
        saga.Hold(until, hold.Reason, clock.GetUtcNow().UtcDateTime);
        wakeups.Due(until);
        metrics.DispatchHeld(saga.Model);
        logger.DispatchHeld(saga.RequestId, saga.Attempt + 1, until, hold.Reason);
        return true;
    }
}
