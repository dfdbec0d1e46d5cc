namespace Orchestrator.SimulatedModel.Scripting;

/// <summary>One step of a <c>[[sim: ...]]</c> script or of the random fault mix.</summary>
/// <param name="Kind">What the call does.</param>
/// <param name="Value">Status code, Retry-After or reset seconds (-1 = default) or delay in milliseconds, by kind.</param>
readonly record struct ScriptStep(StepKind Kind, int Value)
{
    public static ScriptStep Ok => new(StepKind.Ok, 0);

    /// <summary>The step as written in a script, e.g. <c>503</c>, <c>429:2</c> or <c>slow:300</c>.</summary>
    public override string ToString() => Kind switch
    {
        StepKind.Ok => "ok",
        StepKind.Status => Value.ToString(),
        StepKind.RateLimited => Value < 0 ? "429" : $"429:{Value}",
        StepKind.Timeout => "timeout",
        StepKind.Reset => "reset",
        StepKind.Slow => $"slow:{Value}",
        StepKind.LowConfidence => "lowconf",
        StepKind.Exhausted => $"exhausted:{Value}",
        _ => Kind.ToString(),
    };
}
