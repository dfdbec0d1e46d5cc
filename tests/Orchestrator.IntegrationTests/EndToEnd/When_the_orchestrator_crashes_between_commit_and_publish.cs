using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// The narrowest crash window: the saga has committed Succeeded, the outcome has not left yet, and the process dies
/// (a fault hook calls FailFast). After a restart the request must still be announced, exactly once.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_the_orchestrator_crashes_between_commit_and_publish
{
    [Fact]
    public async Task Should_still_publish_the_outcome_once_after_a_restart()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"orch-crash-{Guid.NewGuid():N}");
        await using var cluster = await ProductionCluster.StartAsync(orchestratorSettings: new Dictionary<string, string>
        {
            ["Orchestrator__FaultInjection__CrashAfterCommitOf"] = "AttemptSucceeded",
            ["Orchestrator__FaultInjection__CrashMarkerFile"] = marker,
        });
        var id = $"crash-{Guid.NewGuid():N}"[..22];

        await using var outcomes = await OutcomeListener.StartAsync(id);

        try
        {
            await cluster.SubmitAsync(id, "Survive the crash");
            // The orchestrator commits Succeeded and dies before the outcome leaves.
            await Eventually.Until(() => Task.FromResult(File.Exists(marker)), done => done, TimeSpan.FromSeconds(30), "the crash drill ran", () => cluster.Diagnostics);
            Assert.Equal("Succeeded", await cluster.StateAsync(id));
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Empty(outcomes.MessageIds);

            await cluster.StartOrchestratorAsync("orchestrator-1");
            await Eventually.Until(() => Task.FromResult(outcomes.MessageIds.Count), n => n >= 1, TimeSpan.FromSeconds(30), "the outcome was published after the restart", () => cluster.Diagnostics);
            await Task.Delay(TimeSpan.FromSeconds(2));

            Assert.Single(outcomes.MessageIds);
            Assert.Single(await cluster.AttemptsAsync(id));
            Assert.Equal(1, await cluster.ModelCallsAsync(id));
        }
        finally
        {
            File.Delete(marker);
        }
    }
}
