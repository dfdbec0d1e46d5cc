using System.Text.RegularExpressions;

namespace Orchestrator.Persistence;

/// <summary>
/// A migration file that reads <c>-- @quartz-schema &lt;dialect&gt; &lt;prefix&gt;</c> stands for the DDL that the pinned
/// Quartz package carries for its own schema version, so the job store's tables always match the Quartz in use.
/// Any other migration is plain SQL, run as one batch.
/// </summary>
public static partial class QuartzSchema
{
    [GeneratedRegex(@"^--\s*@quartz-schema\s+(?<dialect>[a-z]+)\s+(?<prefix>\S+)", RegexOptions.Multiline)]
    private static partial Regex Directive();

    public static IEnumerable<string> Expand(string migration)
    {
        var match = Directive().Match(migration);
        if (!match.Success)
            return [migration];

        var dialect = match.Groups["dialect"].Value;
        var prefix = match.Groups["prefix"].Value;
        var resource = $"Quartz.Impl.AdoJobStore.Schema.create_{dialect}.sql";
        using var stream = typeof(Quartz.IJob).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the Quartz package carries no schema {resource}");
        using var reader = new StreamReader(stream);
        // The script's own convention: statements separated by a line '--;;', {0} the table prefix, {1} the
        // prefix without a schema qualifier (for index names).
        var script = reader.ReadToEnd().Replace("{0}", prefix, StringComparison.Ordinal)
            .Replace("{1}", prefix[(prefix.LastIndexOf('.') + 1)..], StringComparison.Ordinal);
        return script.Split("\n--;;", StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Trim())
            .Where(s => s.Split('\n').Any(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal) && line.Trim().Length > 0))
            .ToList();
    }
}
