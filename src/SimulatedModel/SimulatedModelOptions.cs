using Orchestrator.SimulatedModel.Scripting;

namespace Orchestrator.SimulatedModel;

/// <summary>
/// Settings of the simulated model: latency, random fault mix and determinism seed. Bound from the
/// configuration section <see cref="SectionName"/> (e.g. the environment variable <c>SimulatedModel__FaultRate=0.2</c>).
/// </summary>
public sealed class SimulatedModelOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "SimulatedModel";

    /// <summary>Base latency in milliseconds of every normal answer.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Extra latency, uniform in [0, jitter] milliseconds, drawn deterministically from the seed.</summary>
    public int LatencyJitterMs { get; set; }

    /// <summary>Fraction in [0, 1] of unscripted calls that fail with a fault picked from <see cref="FaultMix"/>.</summary>
    public double FaultRate { get; set; }

    /// <summary>
    /// Relative weights of the random faults, keyed by script step name: a status such as <c>503</c>, <c>429</c>,
    /// <c>429:N</c>, <c>reset</c>, <c>timeout</c>, <c>slow:MS</c> or <c>lowconf</c>. Because <c>:</c> separates
    /// configuration keys, <c>429_N</c> and <c>slow_MS</c> are accepted too. A configured section replaces the default
    /// mix entirely.
    /// </summary>
    public Dictionary<string, double> FaultMix { get; set; } = CreateDefaultFaultMix();

    /// <summary>The <c>Retry-After</c> header, in seconds, of random 429 faults.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Seed of every random draw (faults, jitter, logprobs); the same seed gives the same outcomes.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Accepted model names; empty accepts any name, otherwise an unknown model gets 404 <c>model_not_found</c>.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>How long a <c>timeout</c> step holds the request before dropping it (a client disconnect ends it earlier).</summary>
    public int TimeoutHoldSeconds { get; set; } = 300;

    /// <summary>
    /// Checks every setting and throws <see cref="InvalidOperationException"/> with <see cref="Problem"/>'s message
    /// when one is bad.
    /// </summary>
    public void Validate()
    {
        if (Problem() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }
    }

    /// <summary>
    /// Null when every setting is valid, else one message that names each bad setting,
    /// e.g. <c>Invalid simulated model settings: SimulatedModel:FaultRate must be between 0 and 1 (was 1.5).</c>
    /// </summary>
    public string? Problem()
    {
        var errors = new List<string>();
        if (LatencyMs < 0)
        {
            errors.Add($"{SectionName}:{nameof(LatencyMs)} must not be negative (was {LatencyMs}).");
        }

        if (LatencyJitterMs < 0)
        {
            errors.Add($"{SectionName}:{nameof(LatencyJitterMs)} must not be negative (was {LatencyJitterMs}).");
        }

        if (!double.IsFinite(FaultRate) || FaultRate < 0 || FaultRate > 1)
        {
            errors.Add($"{SectionName}:{nameof(FaultRate)} must be between 0 and 1 (was {FaultRate}).");
        }

        ValidateFaultMix(errors);

        if (RetryAfterSeconds < 0)
        {
            errors.Add($"{SectionName}:{nameof(RetryAfterSeconds)} must not be negative (was {RetryAfterSeconds}).");
        }

        if (TimeoutHoldSeconds < 1)
        {
            errors.Add($"{SectionName}:{nameof(TimeoutHoldSeconds)} must be at least 1 (was {TimeoutHoldSeconds}).");
        }

        if (Models is null)
        {
            errors.Add($"{SectionName}:{nameof(Models)} must not be null.");
        }
        else if (Models.Exists(string.IsNullOrWhiteSpace))
        {
            errors.Add($"{SectionName}:{nameof(Models)} must not contain blank names.");
        }

        return errors.Count == 0 ? null : "Invalid simulated model settings: " + string.Join(" ", errors);
    }

    /// <summary>A copy, so a running server is not affected by later changes to the caller's instance.</summary>
    internal SimulatedModelOptions Clone() => new()
    {
        LatencyMs = LatencyMs,
        LatencyJitterMs = LatencyJitterMs,
        FaultRate = FaultRate,
        FaultMix = new Dictionary<string, double>(FaultMix, StringComparer.OrdinalIgnoreCase),
        RetryAfterSeconds = RetryAfterSeconds,
        Seed = Seed,
        Models = [.. Models],
        TimeoutHoldSeconds = TimeoutHoldSeconds,
    };

    void ValidateFaultMix(List<string> errors)
    {
        var setting = $"{SectionName}:{nameof(FaultMix)}";
        if (FaultMix is null)
        {
            errors.Add($"{setting} must not be null.");
            return;
        }

        double total = 0;
        foreach ((var step, var weight) in FaultMix)
        {
            if (!ScriptParser.TryParseStep(step, out _, out var stepError))
            {
                errors.Add($"{setting}:{step} is not a known fault: {stepError}");
            }

            if (!double.IsFinite(weight) || weight < 0)
            {
                errors.Add($"{setting}:{step} must be a non-negative weight (was {weight}).");
            }
            else
            {
                total += weight;
            }
        }

        // A fault rate with nothing to pick from would silently behave as "no faults".
        if (FaultRate > 0 && total <= 0)
        {
            errors.Add($"{setting} must have at least one positive weight when {SectionName}:{nameof(FaultRate)} is above 0.");
        }
    }

    static Dictionary<string, double> CreateDefaultFaultMix() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["503"] = 0.5,
        ["429"] = 0.2,
        ["500"] = 0.15,
        ["reset"] = 0.15,
    };
}
