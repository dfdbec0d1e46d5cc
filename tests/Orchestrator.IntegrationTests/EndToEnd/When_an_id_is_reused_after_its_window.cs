using System.Net;
using System.Net.Http.Json;
using Orchestrator.IntegrationTests.Infrastructure;
using Orchestrator.Submission;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>Past the dedupe window a finished request is archived, and its id may run again as a new generation.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_an_id_is_reused_after_its_window
{
    [Fact]
    public async Task Should_archive_the_first_run_and_run_again_with_a_new_outcome_message_id()
    {
        await using var cluster = await ProductionCluster.StartAsync(orchestratorSettings: new Dictionary<string, string>
        {
            ["Orchestrator__Retention__KeepTerminalFor"] = "00:00:01",
            ["Orchestrator__Retention__Interval"] = "00:00:01",
        });
        var id = $"reuse-{Guid.NewGuid():N}"[..22];
        await using var outcomes = await OutcomeListener.StartAsync(id);

        await cluster.SubmitAsync(id, "The first time");
        await cluster.WaitForStateAsync(id, "Succeeded", TimeSpan.FromSeconds(30));
        // The window passes: the request leaves the hot table for the archive, with its attempt.
        await Eventually.Until(() => cluster.CountAsync($"request_id = '{id}'"), n => n == 0, TimeSpan.FromSeconds(30), "archived", () => cluster.Diagnostics);
        Assert.Equal(1, await cluster.Database.ScalarAsync<long>($"SELECT COUNT(*) FROM inference_requests_archive WHERE request_id = '{id}' AND generation = 1 AND state = 'Succeeded'"));
        Assert.Equal(1, await cluster.Database.ScalarAsync<long>($"SELECT COUNT(*) FROM inference_attempts_archive WHERE correlation_id = '{RequestIdentity.ToCorrelationId(id)}'"));
        using (var gone = await cluster.Api.GetAsync(new Uri($"api/requests/{id}", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        // The same id (even with another payload) runs again, as generation 2.
        using (var again = await cluster.Api.PostAsJsonAsync("api/requests", new { requestId = id, model = "sim", messages = new[] { new { role = "user", content = "The second time" } } }))
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        await cluster.WaitForStateAsync(id, "Succeeded", TimeSpan.FromSeconds(30));
        Assert.Equal(1, await cluster.CountAsync($"request_id = '{id}' AND generation = 2"));
        await Eventually.Until(() => Task.FromResult(outcomes.MessageIds.Count), n => n >= 2, TimeSpan.FromSeconds(10), "both outcomes were published");

        Assert.Equal(2, outcomes.MessageIds.Distinct().Count());
        Assert.Contains(RequestIdentity.OutcomeMessageId(id, 2).ToString(), outcomes.MessageIds);
        Assert.Equal(2, await cluster.ModelCallsAsync(id));
    }
}
