using System.Diagnostics;
using System.Net;
using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// Readiness follows the database: PostgreSQL stopped → the orchestrator reports not ready (and says why); started
/// again → ready, and work goes on. The reason is for an operator's key (and the log); anyone else gets each check's
/// status only. In the RabbitMQ collection, which runs alone: nothing else uses the server then.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_the_database_goes_away(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    [Fact]
    public async Task Should_turn_unready_while_PostgreSQL_is_down_and_ready_when_it_returns()
    {
        using var http = new HttpClient { BaseAddress = app.Api.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-Api-Key", ProductionCluster.ApiKey);
        using var anonymous = new HttpClient { BaseAddress = app.Api.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("health/ready", UriKind.Relative))).StatusCode);

        await InfraCtl("pg-stop");
        try
        {
            // Another check (the scheduler's, the bus's) may turn unready a moment before the store's own check
            // fails: what must come, within the time, is a 503 that names the database as the reason.
            var down = await Eventually.Until(async () =>
            {
                using var response = await http.GetAsync(new Uri("health/ready", UriKind.Relative));
                return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
            }, r => r.StatusCode == HttpStatusCode.ServiceUnavailable && r.Body.Contains("unreachable", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), "readiness reports the database down and unreachable");
            Assert.True(down.Body.Contains("\"store\":{\"status\":\"Unhealthy\",\"description\":\"Postgres unreachable\",\"error\":\"", StringComparison.Ordinal),
                $"the store check is not the unhealthy one: {down.Body}");
            // Without a key: the same verdict, no reason (an exception's message can name hosts and users).
            using (var plain = await anonymous.GetAsync(new Uri("health/ready", UriKind.Relative)))
            {
                var body = await plain.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.ServiceUnavailable, plain.StatusCode);
                Assert.Contains("\"store\":{\"status\":\"Unhealthy\"}", body, StringComparison.Ordinal);
                Assert.DoesNotContain("description", body, StringComparison.Ordinal);
                Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
            }
            // Alive all the same: a liveness probe must not restart a process that only waits for its database.
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("health/live", UriKind.Relative))).StatusCode);
        }
        finally
        {
            await InfraCtl("pg-start");
        }

        await Eventually.Until(async () => (await http.GetAsync(new Uri("health/ready", UriKind.Relative))).StatusCode,
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "readiness recovers with the database");
        var id = $"after-db-{Guid.NewGuid():N}"[..24];
        await app.Cluster.SubmitAsync(id, "Back in business");
        await app.Cluster.WaitForStateAsync(id, "Succeeded", TimeSpan.FromSeconds(30));
    }

    static async Task InfraCtl(string verb)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(RepoPaths.Root, "scripts", "infra-ctl.sh"));
        info.ArgumentList.Add(verb);
        using var process = Process.Start(info)!;
        var output = await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"infra-ctl {verb} exited {process.ExitCode}: {output}");
    }
}
