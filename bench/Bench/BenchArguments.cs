using System.Globalization;

namespace Orchestrator.Bench;

/// <summary><c>--name value</c> pairs after the verb; every option is named, a typo is an error, not a default.</summary>
public sealed class BenchArguments
{
    readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    readonly HashSet<string> _read = new(StringComparer.Ordinal);

    BenchArguments()
    {
    }

    public static BenchArguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new BenchArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3)
                throw new BenchUsageException($"expected an option such as --requests, got '{name}'");
            if (i + 1 >= args.Count)
                throw new BenchUsageException($"option {name} needs a value");
            if (!parsed._values.TryAdd(name[2..], args[++i]))
                throw new BenchUsageException($"option {name} is given twice; give it once (list options take comma-separated values)");
        }
        return parsed;
    }

    public string Text(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new BenchUsageException($"option --{name} is required");
    }

    public string Text(string name, string fallback)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var value) ? value : fallback;
    }

    public int Whole(string name, int fallback, int min, int max)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var text))
            return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new BenchUsageException($"option --{name} must be a whole number from {min} to {max} (got '{text}')");
    }

    public double Number(string name, double fallback, double min, double max)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var text))
            return fallback;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new BenchUsageException($"option --{name} must be a number from {min} to {max} (got '{text}')");
    }

    /// <summary>Call after reading every option: an option nobody read is a typo.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new BenchUsageException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
    }
}
