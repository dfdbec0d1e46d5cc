using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Orchestrator.IntegrationTests.Infrastructure;
using Orchestrator.SimulatedModel;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// Circuit breakers and fallback endpoints end to end: the built orchestrator executable (embedded workers, SQLite)
/// calls two simulated model servers started by the test, so every call is counted where it lands.
/// </summary>
public sealed class When_the_primary_endpoint_fails : IDisposable
{
    readonly string _workingDirectory = Directory.CreateTempSubdirectory("orch-breaker-").FullName;

    async Task<(ChildProcess Server, HttpClient Http)> StartAsync(Dictionary<string, string> settings)
    {
        settings["Orchestrator__SimulatedModel"] = "false";
        settings["Orchestrator__Api__RequireKeys"] = "false";
        var url = $"http://127.0.0.1:{ChildProcess.FreePort()}/";
        var server = ChildProcess.Start("embedded", RepoPaths.Orchestrator, ["--urls", url], settings, _workingDirectory);
        await server.WaitUntilHealthyAsync(url + "health/ready", TimeSpan.FromSeconds(60));
        return (server, new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) });
    }

    static async Task Submit(HttpClient http, string id)
    {
        using var response = await http.PostAsJsonAsync("api/requests", new { requestId = id, model = "sim", messages = new[] { new { role = "user", content = $"Hello {id}" } } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    static async Task<JsonElement> Terminal(HttpClient http, ChildProcess server, string id, TimeSpan within) =>
        JsonDocument.Parse(await Eventually.Until(() => http.GetStringAsync(new Uri($"api/requests/{id}", UriKind.Relative)),
            b => b.Contains("\"state\":\"Succeeded\"", StringComparison.Ordinal) || b.Contains("\"state\":\"Failed\"", StringComparison.Ordinal),
            within, $"{id} terminal", () => server.Output)).RootElement;

    static List<(int Attempt, string? Endpoint, string Outcome)> Timeline(JsonElement request) =>
        request.GetProperty("attempts").EnumerateArray()
            .Select(a => (a.GetProperty("attempt").GetInt32(), a.GetProperty("endpoint").GetString(), a.GetProperty("outcome").GetString()!))
            .ToList();

    async Task<List<(long Attempt, string? Endpoint)>> AttemptsTable(string requestId)
    {
        await using var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_workingDirectory, "data", "orchestrator.db"),
            Mode = SqliteOpenMode.ReadOnly,
        }.ToString());
        await db.OpenAsync();
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT a.attempt, a.endpoint FROM inference_attempts a JOIN inference_requests r USING (correlation_id) " +
                              "WHERE r.request_id = $id ORDER BY a.attempt";
        command.Parameters.AddWithValue("$id", requestId);
        var rows = new List<(long, string?)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        return rows;
    }

    [Fact]
    public async Task Should_open_the_primary_after_its_503s_and_serve_from_the_fallback()
    {
        // The primary answers every call with 503; the fallback is healthy.
        await using var primary = await SimulatedModelServer.StartAsync(new SimulatedModelOptions { FaultRate = 1, FaultMix = new() { ["503"] = 1 } });
        await using var fallback = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        var (server, http) = await StartAsync(new Dictionary<string, string>
        {
            ["Workers__Models__sim__Endpoints__0__Name"] = "primary",
            ["Workers__Models__sim__Endpoints__0__BaseUrl"] = primary.BaseAddress.ToString(),
            // Two failures open it: the http-503 retry budget (two retries) still has one left for the fallback.
            ["Workers__Models__sim__Endpoints__0__CircuitBreaker__ConsecutiveFailures"] = "2",
            ["Workers__Models__sim__Endpoints__0__CircuitBreaker__BreakDuration"] = "00:01:00",
            ["Workers__Models__sim__Endpoints__1__Name"] = "fallback",
            ["Workers__Models__sim__Endpoints__1__BaseUrl"] = fallback.BaseAddress.ToString(),
            ["Workers__Models__sim__Endpoints__1__Priority"] = "1",
        });
        await using var serverLifetime = server;
        using var httpLifetime = http;

        await Submit(http, "fb-1");
        var first = await Terminal(http, server, "fb-1", TimeSpan.FromSeconds(90));
        Assert.Equal("Succeeded", first.GetProperty("state").GetString());
        Assert.Equal([(1, "primary", "Failed"), (2, "primary", "Failed"), (3, "fallback", "Succeeded")], Timeline(first));
        Assert.Equal([(1L, "primary"), (2L, "primary"), (3L, "fallback")], await AttemptsTable("fb-1"));
        Assert.Equal(2, primary.Stats.CallsFor("fb-1"));
        Assert.Equal(1, fallback.Stats.CallsFor("fb-1"));

        // The primary stays open: the next request goes straight to the fallback, and no call reaches the primary.
        await Submit(http, "fb-2");
        var second = await Terminal(http, server, "fb-2", TimeSpan.FromSeconds(90));
        Assert.Equal("Succeeded", second.GetProperty("state").GetString());
        Assert.Equal([(1, "fallback", "Succeeded")], Timeline(second));
        Assert.Equal([(1L, "fallback")], await AttemptsTable("fb-2"));
        Assert.Equal(0, primary.Stats.CallsFor("fb-2"));

        var metrics = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
        Assert.Matches("worker_endpoint_breaker_state\\{[^}]*endpoint=\"primary\"[^}]*\\} 2", metrics);
        Assert.Matches("worker_endpoint_breaker_state\\{[^}]*endpoint=\"fallback\"[^}]*\\} 0", metrics);
    }

    [Fact]
    public async Task Should_wait_for_the_half_open_time_when_every_endpoint_is_open_without_using_an_attempt()
    {
        await using var solo = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        var (server, http) = await StartAsync(new Dictionary<string, string>
        {
            ["Workers__Models__sim__Endpoints__0__Name"] = "solo",
            ["Workers__Models__sim__Endpoints__0__BaseUrl"] = solo.BaseAddress.ToString(),
            ["Workers__CircuitBreaker__BreakDuration"] = "00:00:03",
            // Retries come far sooner than the break is over, so the fourth attempt meets the open breaker.
            ["Orchestrator__Retry__InitialInterval"] = "00:00:00.100",
            ["Orchestrator__Retry__BackoffCoefficient"] = "1",
        });
        await using var serverLifetime = server;
        using var httpLifetime = http;

        // Three 500s open the breaker (3 consecutive failures); the fourth attempt is the half-open probe.
        using (var response = await http.PostAsJsonAsync("api/requests", new { requestId = "open-1", model = "sim", messages = new[] { new { role = "user", content = "open-1 [[sim: 500, 500, 500, ok]]" } } }))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var done = await Terminal(http, server, "open-1", TimeSpan.FromSeconds(90));

        Assert.Equal("Succeeded", done.GetProperty("state").GetString());
        Assert.Equal([(1, "solo", "Failed"), (2, "solo", "Failed"), (3, "solo", "Failed"), (4, "solo", "Succeeded")], Timeline(done));
        Assert.Equal(4, solo.Stats.CallsFor("open-1"));
        var attempts = done.GetProperty("attempts");
        var backoff = attempts[2].GetProperty("backoffMs").GetInt64();
        var gap = attempts[3].GetProperty("startedAt").GetDateTime() - attempts[2].GetProperty("finishedAt").GetDateTime();
        Assert.True(backoff <= 200, $"the third attempt's backoff was {backoff} ms");
        // The fourth attempt waited out the break, not just its backoff: the circuit-open fast-fail made no call
        // and added no attempt.
        Assert.True(gap >= TimeSpan.FromSeconds(2.9), $"the fourth attempt started {gap.TotalMilliseconds} ms after the third failed, within the 3 s break");
        Assert.Contains("\"event\":\"BreakerOpened\"", server.Output, StringComparison.Ordinal);
        var metrics = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
        Assert.Matches("worker_endpoint_breaker_transitions_total\\{[^}]*endpoint=\"solo\",state=\"Open\"\\} 1", metrics);
        Assert.Matches("worker_endpoint_breaker_transitions_total\\{[^}]*endpoint=\"solo\",state=\"HalfOpen\"\\} 1", metrics);
        Assert.Matches("worker_endpoint_breaker_transitions_total\\{[^}]*endpoint=\"solo\",state=\"Closed\"\\} 1", metrics);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_workingDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A process still releasing its files; the temp folder is cleaned by the OS eventually.
        }
    }
}
