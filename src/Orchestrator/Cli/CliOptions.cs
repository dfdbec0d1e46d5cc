using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Orchestrator.Cli;

/// <summary>
/// Options with the CLI's rules, so that every verb refuses a bad value the same way: a message naming the option
/// and the value, exit code 2. System.CommandLine already refuses a valued option given twice; a flag given twice is
/// refused here as well, since it is surely a slip.
/// </summary>
public static class CliOptions
{
    /// <summary>An on/off switch (<c>--json</c>).</summary>
    public static Option<bool> Flag(string name, string description)
    {
        var flag = new Option<bool>(name) { Description = description };
        flag.Validators.Add(OnlyOnce);
        return flag;
    }

    /// <summary>
    /// A whole number in [<paramref name="minimum"/>, <paramref name="maximum"/>]; when the option is absent, its
    /// default value, or null when it has none.
    /// </summary>
    public static Option<int?> WholeNumber(string name, string helpName, string description,
        int minimum = int.MinValue, int maximum = int.MaxValue, int? defaultValue = null) => new(name)
        {
            Description = description,
            HelpName = helpName,
            DefaultValueFactory = defaultValue is null ? null : _ => defaultValue,
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= minimum && value <= maximum)
                    return value;
                result.AddError($"{name} must be a whole number{Range(minimum, maximum)} (got '{text}')");
                return null;
            },
        };

    static string Range(int minimum, int maximum) => (minimum, maximum) switch
    {
        (int.MinValue, int.MaxValue) => "",
        (_, int.MaxValue) => $" of at least {minimum}",
        (int.MinValue, _) => $" of at most {maximum}",
        _ => $" from {minimum} to {maximum}",
    };

    static void OnlyOnce(OptionResult result)
    {
        if (result.IdentifierTokenCount > 1)
            result.AddError($"{result.IdentifierToken?.Value} is given {result.IdentifierTokenCount} times; give it once");
    }
}
