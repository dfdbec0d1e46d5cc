using Orchestrator.StateMachines;

namespace Orchestrator.Tests.StateMachines;

/// <summary>
/// docs/state-machine.md draws the machine from its own code. This fails when the committed drawing is out of date;
/// <c>ORCH_UPDATE_DOCS=1 dotnet test --filter When_the_state_diagram_is_drawn</c> writes it afresh.
/// </summary>
public sealed class When_the_state_diagram_is_drawn
{
    const string Begin = "```mermaid";
    const string End = "```";

    [Fact]
    public async Task Should_draw_every_state_the_machine_can_reach()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var diagram = StateDiagram.Mermaid(spec.Machine);

        foreach (var state in RequestStates.All)
            Assert.Contains($" {state} ", diagram, StringComparison.Ordinal);
        Assert.Contains("[*] --> Pending : InferenceRequested", diagram, StringComparison.Ordinal);
        Assert.Contains("RetryScheduled --> Pending : RetryDue, RetryInference", diagram, StringComparison.Ordinal);
        Assert.Contains("Succeeded --> [*]", diagram, StringComparison.Ordinal);
        Assert.DoesNotContain("Succeeded --> Pending", diagram, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_match_the_drawing_committed_in_the_docs()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var diagram = StateDiagram.Mermaid(spec.Machine);
        var path = Path.Combine(RepositoryRoot(), "docs", "state-machine.md");
        var text = File.ReadAllText(path).ReplaceLineEndings("\n");
        var start = text.IndexOf(Begin + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"{path} has no {Begin} block for the generated diagram");
        var bodyStart = start + Begin.Length + 1;
        var bodyEnd = text.IndexOf("\n" + End, bodyStart - 1, StringComparison.Ordinal) + 1;
        var committed = text[bodyStart..bodyEnd];

        if (committed != diagram && Environment.GetEnvironmentVariable("ORCH_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, text[..bodyStart] + diagram + text[bodyEnd..]);
            return;
        }
        Assert.True(committed == diagram,
            $"docs/state-machine.md is out of date with the state machine: run ORCH_UPDATE_DOCS=1 dotnet test " +
            $"tests/Orchestrator.Tests --filter {nameof(When_the_state_diagram_is_drawn)} and commit it. Generated:\n{diagram}");
    }

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("Orchestrator.sln not found above " + AppContext.BaseDirectory);
    }
}
