using Orchestrator.Cli;

namespace Orchestrator.Tests.Cli;

/// <summary>Which arguments run the server: those never meet the parser, so none can be refused or taken for a verb.</summary>
public sealed class When_the_program_gets_no_verb
{
    [Theory]
    [InlineData]
    [InlineData("--urls", "http://127.0.0.1:5099")]
    [InlineData("--Orchestrator:Store=Postgres")]
    [InlineData("--Orchestrator__Transport", "RabbitMQ", "--urls", "http://0.0.0.0:5080")]
    [InlineData("Orchestrator:Store=Postgres")]
    [InlineData("/urls", "http://127.0.0.1:5099")]
    [InlineData("--urls", "http://127.0.0.1:5099", "requests", "--help")] // a verb's name later on is a value
    [InlineData("--version")]
    [InlineData("Migrate")]
    public void Should_hand_every_argument_to_the_server(params string[] args) =>
        Assert.True(new OrchestratorCommand().RunsTheServer(args));

    [Theory]
    [InlineData("migrate")]
    [InlineData("migrate", "--Orchestrator:Store=Postgres")]
    [InlineData("demo", "--requests", "10")]
    [InlineData("requests", "list")]
    [InlineData("review", "approve", "r-1")]
    [InlineData("submit", "--file", "r.json")]
    [InlineData("dead-letters", "list")]
    [InlineData("fleet")]
    [InlineData("help")]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("-?")]
    public void Should_run_the_command_the_first_argument_names(params string[] args) =>
        Assert.False(new OrchestratorCommand().RunsTheServer(args));

    [Fact]
    public void Should_pass_migrates_switches_through_as_they_came()
    {
        var parse = new OrchestratorCommand().Parse(["migrate", "--Orchestrator:Store=Postgres", "--ConnectionStrings:PostgresMigrations", "Host=db"], OrchestratorCommand.Parsing);

        Assert.Empty(parse.Errors);
        Assert.Equal(["--Orchestrator:Store=Postgres", "--ConnectionStrings:PostgresMigrations", "Host=db"], parse.GetValue<string[]>("SETTINGS")!);
    }
}
