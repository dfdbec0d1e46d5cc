using System.CommandLine;
using System.CommandLine.Parsing;
using Orchestrator.Contracts;
using Orchestrator.StateMachines;

namespace Orchestrator.Cli;

/// <summary>
/// The request filter of <c>requests list</c> and of the bulk actions, defined once: each option beside the API's
/// field it fills. The API checks the values (a state's name, a timestamp) and says what is wrong with them.
/// </summary>
public sealed class RequestFilterOptions
{
    sealed record Field(Option Option, string Name, Func<ParseResult, object?> Value);

    readonly Field[] _fields;

    public RequestFilterOptions() => _fields =
    [
        Text("--state", "S", "state", $"in this state ({string.Join(", ", RequestStates.All)})"),
        Text("--model", "M", "model", "for this model"),
        Text("--failure-kind", "K", "failureKind", $"whose last failure was of this kind ({string.Join(", ", Enum.GetNames<FailureKind>())})"),
        Number("--min-attempts", "N", "minAttempts", "with at least N attempts"),
        Text("--id-prefix", "P", "idPrefix", "whose id starts with P"),
        Number("--priority", "N", "priority", "of this priority (1-5)"),
        Text("--batch-id", "B", "batchId", "of batch B"),
        Text("--created-from", "T", "createdFrom", "created at or after T (ISO-8601)"),
        Text("--created-to", "T", "createdTo", "created before T (ISO-8601)"),
        Text("--updated-from", "T", "updatedFrom", "last changed at or after T (ISO-8601)"),
        Text("--updated-to", "T", "updatedTo", "last changed before T (ISO-8601)"),
    ];

    public IEnumerable<Option> Options => _fields.Select(f => f.Option);

    public void AddTo(Command command)
    {
        foreach (var field in _fields)
            command.Add(field.Option);
    }

    /// <summary>The filter options given, keyed by the API's field names (numbers as numbers).</summary>
    public IReadOnlyDictionary<string, object> From(ParseResult parse) => _fields
        .Select(f => (f.Name, Value: f.Value(parse)))
        .Where(f => f.Value is not null)
        .ToDictionary(f => f.Name, f => f.Value!, StringComparer.Ordinal);

    /// <summary>Whether any filter option was given to the command.</summary>
    public bool AnyIn(CommandResult command) => _fields.Any(f => command.GetResult(f.Option) is not null);

    static Field Text(string name, string helpName, string field, string description)
    {
        var option = new Option<string>(name) { Description = "Requests " + description, HelpName = helpName };
        return new Field(option, field, parse => parse.GetValue(option));
    }

    static Field Number(string name, string helpName, string field, string description)
    {
        var option = CliOptions.WholeNumber(name, helpName, "Requests " + description);
        return new Field(option, field, parse => parse.GetValue(option));
    }
}
