using Orchestrator.StateMachines;
using Orchestrator.Tests.Docs;

namespace Orchestrator.Tests.StateMachines;

/// <summary>
/// README.md and docs/state-machine.md draw the machine from its own code, in the Mermaid block after the marker
/// below. This fails when a committed drawing is out of date;
/// <c>ORCH_UPDATE_DOCS=1 dotnet test tests/Orchestrator.Tests --filter When_the_state_diagram_is_drawn</c> redraws them.
/// </summary>
public sealed class When_the_state_diagram_is_drawn
{
    const string Marker = "<!-- state diagram: generated from the state machine -->";
    const string Begin = "```mermaid\n";
    const string End = "```\n";

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

    [Theory]
    [InlineData("README.md")]
    [InlineData("docs/state-machine.md")]
    public async Task Should_match_the_drawing_committed_in(string page)
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var diagram = StateDiagram.Mermaid(spec.Machine);
        var path = Path.Combine(RepositoryDocs.Root, page);
        var text = File.ReadAllText(path).ReplaceLineEndings("\n");
        var marker = text.IndexOf(Marker + "\n", StringComparison.Ordinal);
        Assert.True(marker >= 0, $"{page} has no '{Marker}' line");
        var bodyStart = marker + Marker.Length + 1 + Begin.Length;
        Assert.Equal(Begin, text[(bodyStart - Begin.Length)..bodyStart]);
        var bodyEnd = text.IndexOf("\n" + End, bodyStart - 1, StringComparison.Ordinal) + 1;
        var committed = text[bodyStart..bodyEnd];

        if (committed != diagram && Environment.GetEnvironmentVariable("ORCH_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, text[..bodyStart] + diagram + text[bodyEnd..]);
            return;
        }
        Assert.True(committed == diagram,
            $"{page} is out of date with the state machine: run ORCH_UPDATE_DOCS=1 dotnet test tests/Orchestrator.Tests " +
            $"--filter {nameof(When_the_state_diagram_is_drawn)} and commit it. Generated:\n{diagram}");
    }
}
