using Orchestrator.SimulatedModel.Scripting;

namespace Orchestrator.SimulatedModel.Admin;

/// <summary>
/// An outage switched on at run time (<c>PUT /admin/fault</c>): while it lasts, every call, scripted or not, answers
/// with its step (e.g. <c>slow:8000</c>, then <c>503</c>). It ends by itself after its duration, so a chaos runner
/// that dies mid-run does not leave the model broken.
/// </summary>
public sealed class FaultOverride
{
    readonly TimeProvider _clock;
    Active? _active;

    /// <summary>Creates the switch, off.</summary>
    public FaultOverride(TimeProvider clock)
    {
        _clock = clock;
    }

    /// <summary>Switches the outage on for <paramref name="duration"/>, replacing any earlier one.</summary>
    /// <returns>False with <paramref name="error"/> when <paramref name="step"/> is not a script step.</returns>
    public bool TrySet(string step, TimeSpan duration, out string? error)
    {
        if (!ScriptParser.TryParseStep(step, out var parsed, out error))
        {
            return false;
        }

        if (duration <= TimeSpan.Zero || duration > TimeSpan.FromHours(1))
        {
            error = $"seconds must be above 0 and at most 3600 (was {duration.TotalSeconds}).";
            return false;
        }

        Volatile.Write(ref _active, new Active(parsed, _clock.GetUtcNow() + duration));
        return true;
    }

    /// <summary>Ends the outage now.</summary>
    public void Clear() => Volatile.Write(ref _active, null);

    /// <summary>The step every call takes now, if an outage is on.</summary>
    internal ScriptStep? Current => Volatile.Read(ref _active) is { } active && _clock.GetUtcNow() < active.Until ? active.Step : null;

    /// <summary>The outage as written in a script and when it ends, or nulls when none is on.</summary>
    public (string? Step, DateTimeOffset? Until) Describe() =>
        Volatile.Read(ref _active) is { } active && _clock.GetUtcNow() < active.Until ? (active.Step.ToString(), active.Until) : (null, null);

    sealed record Active(ScriptStep Step, DateTimeOffset Until);
}
