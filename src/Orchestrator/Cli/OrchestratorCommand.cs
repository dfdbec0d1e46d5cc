using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Orchestrator.Cli;

/// <summary>
/// The orchestrator executable's command line. With no command it runs the server and hands every argument to the
/// server's configuration untouched (<c>--urls ...</c>, <c>--Orchestrator:Store=Postgres</c>); a command goes through
/// System.CommandLine: <c>--help</c> for every verb, a bad argument refused on stderr with exit code 2.
/// </summary>
sealed class OrchestratorCommand : RootCommand
{
    /// <summary>No response files: an argument such as <c>--reason @ops</c> is the text it says, not a file to read.</summary>
    public static ParserConfiguration Parsing { get; } = new() { ResponseFileTokenReplacer = null };

    public OrchestratorCommand() : base("""
        The inference orchestrator. With no command it runs the server (embedded by default: SQLite, in-memory bus,
        workers, simulated model) and hands every argument to its configuration, e.g. --urls http://127.0.0.1:5080
        or --Orchestrator:Store=Postgres.
        Configuration: Orchestrator__Store=Sqlite|Postgres, Orchestrator__Transport=InMemory|RabbitMQ,
        ConnectionStrings__Postgres, ConnectionStrings__RabbitMQ (amqp://...), see docs/reference/configuration.md.
        """)
    {
        HelpName = "orchestrator";
        // No --version: an argument that is not a command belongs to the server.
        foreach (var version in Options.OfType<VersionOption>().ToList())
            Options.Remove(version);

        var api = new ApiOptions();
        Add(new MigrateCommand());
        Add(new RequestsCommand(api, new RequestFilterOptions()));
        Add(new ReviewCommand(api));
        Add(new SubmitCommand(api));
        Add(new BatchesCommand(api));
        Add(new DeadLettersCommand(api));
        Add(new CallbacksCommand(api));
        Add(new FleetCommand(api));
        Add(new DemoCommand());
        Add(HelpCommand());
    }

    /// <summary>
    /// Runs what the arguments ask for: the server, or a command. <paramref name="invocation"/> sets where a command
    /// writes (stdout and stderr by default).
    /// </summary>
    public async Task<int> RunAsync(string[] args, InvocationConfiguration? invocation = null)
    {
        if (RunsTheServer(args))
            return await ServerCommand.RunAsync(args);
        // No termination timeout: Ctrl+C ends a command as it always did, rather than after a grace period.
        invocation ??= new InvocationConfiguration { ProcessTerminationTimeout = null };
        var parse = Parse(args, Parsing);
        return parse.Action is ParseErrorAction
            ? await RefuseAsync(parse, invocation.Error)
            : await parse.InvokeAsync(invocation);
    }

    /// <summary>
    /// Whether the arguments are the server's: there are none, or the first is neither a command nor help. The server's
    /// switches never meet the parser, so none of them can be refused or read as a command.
    /// </summary>
    public bool RunsTheServer(IReadOnlyList<string> args) =>
        args.Count == 0 || !(Subcommands.Any(c => c.Name == args[0] || c.Aliases.Contains(args[0]))
                             || Options.Any(o => o.Name == args[0] || o.Aliases.Contains(args[0])));

    /// <summary>A bad argument: each error, named by its command, then that command's help; all on stderr, exit code 2.</summary>
    async Task<int> RefuseAsync(ParseResult parse, TextWriter error)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result.Command != this; result = (CommandResult)result.Parent!)
            names.Insert(0, result.Command.Name);
        var command = names.Count == 0 ? HelpName : string.Join(' ', names);
        foreach (var problem in parse.Errors)
            await error.WriteLineAsync($"{command}: {problem.Message}");
        await error.WriteLineAsync();
        await Parse([.. names, "--help"], Parsing).InvokeAsync(new InvocationConfiguration { Output = error, ProcessTerminationTimeout = null });
        return 2;
    }

    /// <summary><c>help [COMMAND...]</c>: what <c>COMMAND... --help</c> prints.</summary>
    Command HelpCommand()
    {
        var words = new Argument<string[]>("COMMAND") { Description = "The command to explain, e.g. requests retry", Arity = ArgumentArity.ZeroOrMore };
        var help = new Command("help", "Show this help, or a command's: help requests retry") { words };
        help.SetAction((parse, cancellation) => Parse([.. parse.GetValue(words) ?? [], "--help"], Parsing).InvokeAsync(parse.InvocationConfiguration, cancellation));
        return help;
    }
}
