using Orchestrator.Cli;
using Orchestrator.Hosting;

return args switch
{
    ["migrate", .. var rest] => await MigrateCommand.RunAsync(rest),
    ["demo", .. var rest] => await DemoCommand.RunAsync(rest),
    ["requests" or "review" or "submit" or "dead-letters" or "fleet", .. var rest] => await ApiCommands.RunAsync(args[0], rest),
    ["help" or "--help" or "-h", ..] => CliOutput.Usage(),
    _ => await ServerCommand.RunAsync(args),
};
