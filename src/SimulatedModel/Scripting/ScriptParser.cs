using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Orchestrator.SimulatedModel.Scripting;

/// <summary>
/// Finds and parses a <c>[[sim: 503, 429:2, ok]]</c> script in a message text (case-insensitive, whitespace tolerant).
/// </summary>
static partial class ScriptParser
{
    const string ExpectedSteps = "expected ok, a status code 400-599, 429:SECONDS, timeout, reset, slow:MS, lowconf or exhausted:SECONDS";
    const int MaxSlowMs = 3_600_000;
    const int MaxRetryAfterSeconds = 86_400;

    /// <summary>Parses a script if the text has one.</summary>
    /// <param name="text">The last user message's text.</param>
    /// <param name="steps">The steps, or null when the text has no script.</param>
    /// <param name="remainingText">The text without the script, trimmed.</param>
    /// <param name="error">Why the script is malformed.</param>
    /// <returns>False when the text has a malformed script.</returns>
    public static bool TryParse(string text, out ScriptStep[]? steps, out string remainingText, [NotNullWhen(false)] out string? error)
    {
        steps = null;
        error = null;
        remainingText = text;

        // Cheap pre-check: most benchmark prompts carry no script, so skip the regex for them.
        if (!text.Contains("[[", StringComparison.Ordinal))
        {
            return true;
        }

        var match = ScriptRegex().Match(text);
        if (!match.Success)
        {
            if (ScriptStartRegex().IsMatch(text))
            {
                error = "Malformed [[sim: ...]] script: it must read like [[sim: 503, 429:2, ok]].";
                return false;
            }

            return true;
        }

        var body = match.Groups["steps"].Value;
        var parts = body.Split(',');
        var parsed = new ScriptStep[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!TryParseStep(parts[i], out parsed[i], out var stepError))
            {
                error = $"Malformed [[sim: ...]] script, step {i + 1}: {stepError}";
                return false;
            }
        }

        steps = parsed;
        remainingText = string.Concat(text.AsSpan(0, match.Index), text.AsSpan(match.Index + match.Length)).Trim();
        return true;
    }

    /// <summary>Parses one step such as <c>503</c>, <c>429:2</c>, <c>slow:300</c> (<c>_</c> may replace <c>:</c>).</summary>
    public static bool TryParseStep(string token, out ScriptStep step, [NotNullWhen(false)] out string? error)
    {
        step = default;
        error = null;
        var trimmed = token.AsSpan().Trim();
        if (trimmed.IsEmpty)
        {
            error = $"empty step; {ExpectedSteps}.";
            return false;
        }

        var separator = trimmed.IndexOfAny(':', '_');
        var name = separator < 0 ? trimmed : trimmed[..separator].TrimEnd();
        var argument = separator < 0 ? [] : trimmed[(separator + 1)..].TrimStart();
        var hasArgument = separator >= 0;

        if (!hasArgument)
        {
            if (name.Equals("ok", StringComparison.OrdinalIgnoreCase))
            {
                step = ScriptStep.Ok;
                return true;
            }

            if (name.Equals("timeout", StringComparison.OrdinalIgnoreCase))
            {
                step = new ScriptStep(StepKind.Timeout, 0);
                return true;
            }

            if (name.Equals("reset", StringComparison.OrdinalIgnoreCase))
            {
                step = new ScriptStep(StepKind.Reset, 0);
                return true;
            }

            if (name.Equals("lowconf", StringComparison.OrdinalIgnoreCase))
            {
                step = new ScriptStep(StepKind.LowConfidence, 0);
                return true;
            }
        }

        if (name.Equals("slow", StringComparison.OrdinalIgnoreCase))
        {
            if (hasArgument && TryParseInt(argument, 0, MaxSlowMs, out var ms))
            {
                step = new ScriptStep(StepKind.Slow, ms);
                return true;
            }

            error = $"'{trimmed}' needs a delay in milliseconds between 0 and {MaxSlowMs}, e.g. slow:300.";
            return false;
        }

        if (name.Equals("exhausted", StringComparison.OrdinalIgnoreCase))
        {
            if (hasArgument && TryParseInt(argument, 0, MaxRetryAfterSeconds, out var reset))
            {
                step = new ScriptStep(StepKind.Exhausted, reset);
                return true;
            }

            error = $"'{trimmed}' needs the seconds to the quota's reset between 0 and {MaxRetryAfterSeconds}, e.g. exhausted:5.";
            return false;
        }

        if (name.Length == 3 && TryParseInt(name, 100, 999, out var status))
        {
            if (status == 429)
            {
                if (!hasArgument)
                {
                    step = new ScriptStep(StepKind.RateLimited, -1);
                    return true;
                }

                if (TryParseInt(argument, 0, MaxRetryAfterSeconds, out var seconds))
                {
                    step = new ScriptStep(StepKind.RateLimited, seconds);
                    return true;
                }

                error = $"'{trimmed}' needs Retry-After seconds between 0 and {MaxRetryAfterSeconds}, e.g. 429:2.";
                return false;
            }

            if (!hasArgument && status is >= 400 and <= 599)
            {
                step = new ScriptStep(StepKind.Status, status);
                return true;
            }
        }

        error = $"unknown step '{trimmed}'; {ExpectedSteps}.";
        return false;
    }

    static bool TryParseInt(ReadOnlySpan<char> text, int min, int max, out int value) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, null, out value) && value >= min && value <= max;

    [GeneratedRegex(@"\[\[\s*sim\s*:(?<steps>[^\]]*)\]\]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ScriptRegex();

    // Something that starts like a script but does not parse as one is a typo worth reporting, not a prompt.
    [GeneratedRegex(@"\[\[\s*sim\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ScriptStartRegex();
}
