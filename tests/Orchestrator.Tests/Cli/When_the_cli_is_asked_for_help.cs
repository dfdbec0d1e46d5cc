namespace Orchestrator.Tests.Cli;

public sealed class When_the_cli_is_asked_for_help
{
    const string ApiOptions = "--url --api-key --json";
    const string Filter = "--state --model --failure-kind --min-attempts --id-prefix --priority --created-from --created-to --updated-from --updated-to";

    [Theory]
    [InlineData("migrate", "<SETTINGS>")]
    [InlineData("demo", "--requests --fault-rate --json --timeout --script --retry-initial-ms")]
    [InlineData("requests", "list show retry cancel pause resume " + ApiOptions)]
    [InlineData("requests list", "--limit " + Filter + " " + ApiOptions)]
    [InlineData("requests show", "<ID> " + ApiOptions)]
    [InlineData("requests retry", "<ID> --reason --dry-run " + Filter + " " + ApiOptions)]
    [InlineData("requests cancel", "<ID> --reason --dry-run " + Filter + " " + ApiOptions)]
    [InlineData("requests pause", "<ID> --reason --dry-run " + Filter + " " + ApiOptions)]
    [InlineData("requests resume", "<ID> --reason --dry-run " + Filter + " " + ApiOptions)]
    [InlineData("review", "approve reject " + ApiOptions)]
    [InlineData("review approve", "<ID> --reviewer --note " + ApiOptions)]
    [InlineData("review reject", "<ID> --reviewer --reason --retry " + ApiOptions)]
    [InlineData("submit", "--file " + ApiOptions)]
    [InlineData("dead-letters", "list show requeue discard " + ApiOptions)]
    [InlineData("dead-letters list", "--status --limit " + ApiOptions)]
    [InlineData("dead-letters show", "<ID> " + ApiOptions)]
    [InlineData("dead-letters requeue", "<ID> " + ApiOptions)]
    [InlineData("dead-letters discard", "<ID> " + ApiOptions)]
    [InlineData("fleet", ApiOptions)]
    public async Task Should_exit_0_and_name_every_option_of_the_verb(string verb, string expected)
    {
        var (code, output, error) = await CliRun.RunAsync([.. verb.Split(' '), "--help"]);

        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains($"Usage:\n  orchestrator {verb} ", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        foreach (var name in expected.Split(' '))
            Assert.Matches($@"(^|\s){System.Text.RegularExpressions.Regex.Escape(name)}(\s|$)", output);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Should_list_every_verb_and_say_that_no_verb_runs_the_server(string ask)
    {
        var (code, output, error) = await CliRun.RunAsync(ask);

        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains("With no command it runs the server", output, StringComparison.Ordinal);
        foreach (var verb in new[] { "migrate", "requests", "review", "submit", "dead-letters", "fleet", "demo", "help" })
            Assert.Matches($@"\n  {verb}\b", output);
        Assert.DoesNotContain("--version", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_show_a_verbs_help_through_the_help_verb_too()
    {
        var direct = await CliRun.RunAsync("requests", "retry", "--help");
        var viaHelp = await CliRun.RunAsync("help", "requests", "retry");

        Assert.Equal((0, direct.Output), (viaHelp.Code, viaHelp.Output));
        Assert.Contains("orchestrator requests retry [<ID>] [options]", viaHelp.Output, StringComparison.Ordinal);
    }
}
