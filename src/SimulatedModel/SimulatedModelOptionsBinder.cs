using System.Globalization;

namespace Orchestrator.SimulatedModel;

/// <summary>
/// Binds <see cref="SimulatedModelOptions"/> from configuration, the same for the standalone server and the one an
/// embedded orchestrator starts: a configured <c>FaultMix</c> replaces the default mix.
/// </summary>
public static class SimulatedModelOptionsBinder
{
    public static SimulatedModelOptions Bind(IConfiguration configuration)
    {
        var section = configuration.GetSection(SimulatedModelOptions.SectionName);
        var options = section.Get<SimulatedModelOptions>() ?? new SimulatedModelOptions();

        // The binder merges dictionary entries into the default mix; a configured mix must replace it instead,
        // otherwise "only 503" could never be expressed.
        var mixSection = section.GetSection(nameof(SimulatedModelOptions.FaultMix));
        var configured = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in mixSection.GetChildren())
        {
            if (entry.Value is null)
            {
                throw new InvalidOperationException(
                    $"{entry.Path} has no weight; ':' separates configuration keys, so write 429_N or slow_MS instead of 429:N or slow:MS.");
            }

            if (!double.TryParse(entry.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
            {
                throw new InvalidOperationException($"{entry.Path} must be a number (was '{entry.Value}').");
            }

            configured[entry.Key] = weight;
        }

        if (configured.Count > 0)
        {
            options.FaultMix = configured;
        }

        return options;
    }
}
