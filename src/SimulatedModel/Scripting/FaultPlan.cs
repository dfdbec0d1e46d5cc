namespace Orchestrator.SimulatedModel.Scripting;

/// <summary>The random fault mix, precomputed from the options as cumulative weights for a cheap weighted pick.</summary>
sealed class FaultPlan
{
    readonly ScriptStep[] _steps;
    readonly double[] _cumulativeWeights;
    readonly double _totalWeight;

    public FaultPlan(SimulatedModelOptions options)
    {
        FaultRate = options.FaultRate;

        // Sorted by name so the pick does not depend on the order a configuration source listed the entries.
        var entries = options.FaultMix
            .Where(entry => entry.Value > 0)
            .OrderBy(entry => entry.Key, StringComparer.OrdinalIgnoreCase)
            .ToArray();
        _steps = new ScriptStep[entries.Length];
        _cumulativeWeights = new double[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            if (!ScriptParser.TryParseStep(entries[i].Key, out var step, out var error))
            {
                throw new InvalidOperationException(error);
            }

            _totalWeight += entries[i].Value;
            _steps[i] = step;
            _cumulativeWeights[i] = _totalWeight;
        }
    }

    public double FaultRate { get; }

    /// <summary>Whether a draw in [0, 1) falls into the fault rate.</summary>
    public bool IsFault(double draw) => _steps.Length > 0 && draw < FaultRate;

    /// <summary>The fault for a draw in [0, 1), by weight.</summary>
    public ScriptStep Pick(double draw)
    {
        var target = draw * _totalWeight;
        for (var i = 0; i < _cumulativeWeights.Length; i++)
        {
            if (target < _cumulativeWeights[i])
            {
                return _steps[i];
            }
        }

        return _steps[^1];
    }
}
