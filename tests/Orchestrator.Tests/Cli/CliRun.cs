using System.CommandLine;
using Orchestrator.Cli;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// The orchestrator's command line run in process, its stdout and stderr captured through System.CommandLine's own
/// writers (not a global Console redirect, which test classes running in parallel would share).
/// </summary>
public static class CliRun
{
    public static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var cli = new OrchestratorCommand();
        // These specs never start a server: a slip in an argument list must fail here, not listen on a port.
        Assert.False(cli.RunsTheServer(args), $"'{string.Join(' ', args)}' would run the server");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await cli.RunAsync(args, new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        return (code, output.ToString(), error.ToString());
    }
}
