namespace Orchestrator.Tests.Cli;

public sealed class When_the_cli_is_given_bad_arguments
{
    [Theory]
    [InlineData("requests show", "requests show: Required argument 'ID' missing for command: 'show'.")]
    [InlineData("requests list --bogus", "requests list: Unrecognized command or argument '--bogus'.")]
    [InlineData("requests frobnicate", "requests: Unrecognized command or argument 'frobnicate'.")]
    [InlineData("requests", "requests: Required command was not provided.")]
    [InlineData("requests show r-1 r-2", "requests show: Unrecognized command or argument 'r-2'.")]
    [InlineData("requests show r-1 --reason why", "requests show: Unrecognized command or argument '--reason'.")]
    [InlineData("requests pause", "requests pause: give a request id, or filter options to act on every matching request")]
    [InlineData("requests cancel r-1 --state Failed", "requests cancel: give a request id or filter options, not both")]
    [InlineData("requests retry r-1 --dry-run", "requests retry: --dry-run goes with filter options, not with a request id")]
    [InlineData("requests list --limit 5 --limit 6", "requests list: Option '--limit' expects a single argument but 2 were provided.")]
    [InlineData("requests cancel r-1 --reason a --reason b", "requests cancel: Option '--reason' expects a single argument but 2 were provided.")]
    [InlineData("requests list --json --json", "requests list: --json is given 2 times; give it once")]
    [InlineData("requests list --min-attempts many", "requests list: --min-attempts must be a whole number (got 'many')")]
    [InlineData("requests list --url ftp://host", "requests list: --url must be an http(s) URL (got 'ftp://host')")]
    [InlineData("requests list --limit", "requests list: Required argument missing for option: '--limit'.")]
    [InlineData("review approve", "review approve: Required argument 'ID' missing for command: 'approve'.")]
    [InlineData("review reject r-1 --note n", "review reject: Unrecognized command or argument '--note'.")]
    [InlineData("submit", "submit: Option '--file' is required.")]
    [InlineData("submit --file /no/such/request.json", "submit: no such file '/no/such/request.json'")]
    [InlineData("dead-letters show abc", "dead-letters show: ID must be a dead letter's id, a whole number (got 'abc')")]
    [InlineData("fleet --dry-run", "fleet: Unrecognized command or argument '--dry-run'.")]
    [InlineData("demo --requests zero", "demo: --requests must be a whole number from 1 to 1000000 (got 'zero')")]
    [InlineData("demo --requests 0", "demo: --requests must be a whole number from 1 to 1000000 (got '0')")]
    [InlineData("demo --timeout 0", "demo: --timeout must be a whole number of at least 1 (got '0')")]
    [InlineData("demo --fault-rate 1.5", "demo: --fault-rate must be a number from 0 to 1 (got '1.5')")]
    [InlineData("demo --retry-initial-ms 2000,soon", "demo: --retry-initial-ms must be whole numbers of ms up to 3600000, comma separated (got '2000,soon')")]
    [InlineData("demo --requests 10 --requests 20", "demo: Option '--requests' expects a single argument but 2 were provided.")]
    public async Task Should_exit_2_and_say_why(string args, string expected)
    {
        var (code, output, error) = await CliRun.RunAsync(args.Split(' '));

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Contains(expected + "\n", error.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_follow_the_message_with_the_verbs_usage_on_stderr()
    {
        var (code, output, error) = await CliRun.RunAsync("requests", "pause");

        Assert.Equal(2, code);
        Assert.Empty(output);
        var lines = error.ReplaceLineEndings("\n").Split('\n');
        Assert.Equal("requests pause: give a request id, or filter options to act on every matching request", lines[0]);
        Assert.Contains("orchestrator requests pause [<ID>] [options]", error, StringComparison.Ordinal);
        Assert.Contains("--dry-run", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_an_empty_script_for_the_demo()
    {
        var (code, _, error) = await CliRun.RunAsync("demo", "--script", "");

        Assert.Equal(2, code);
        Assert.StartsWith("demo: --script must not be empty", error, StringComparison.Ordinal);
    }
}
