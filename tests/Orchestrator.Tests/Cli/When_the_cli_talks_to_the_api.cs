using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Tests.Cli;

/// <summary>The API verbs against a stand-in API: what they send, what they print, and their exit codes.</summary>
public sealed class When_the_cli_talks_to_the_api
{
    const string BulkAnswer = """{"action":"retry","dryRun":true,"matched":2,"accepted":2,"skipped":0,"more":false}""";

    [Fact]
    public async Task Should_send_a_bulk_action_with_the_filter_under_the_APIs_field_names()
    {
        await using var api = await FakeApi.StartAsync(200, BulkAnswer);

        var (code, output, error) = await CliRun.RunAsync("requests", "retry", "--state", "Failed", "--min-attempts", "3", "--dry-run",
            "--reason", "model fixed", "--url", api.Url, "--api-key", "operate-key-0123456789");

        Assert.True(code == 0, error);
        var call = Assert.Single(api.Calls);
        Assert.Equal(("POST", "/api/requests/bulk/retry", "operate-key-0123456789"), (call.Method, call.PathAndQuery, call.ApiKey));
        Assert.Equal("""{"filter":{"state":"Failed","minAttempts":3},"dryRun":true,"reason":"model fixed"}""", call.Body);
        Assert.Equal("retry (dry run): matched 2, would act on 2, skipped 0\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Should_list_with_the_filter_in_the_query_and_print_a_table()
    {
        await using var api = await FakeApi.StartAsync(200, """
            {"items":[{"requestId":"batch-1","state":"Failed","attempt":2,"updatedAt":"2026-03-04T05:06:07.123Z","reason":"HTTP 400 from sim"}],"nextCursor":null}
            """);

        var (code, output, error) = await CliRun.RunAsync("requests", "list", "--failure-kind", "Permanent", "--id-prefix", "batch-", "--limit", "5", "--url", api.Url);

        Assert.True(code == 0, error);
        Assert.Equal("/api/requests?limit=5&failureKind=Permanent&idPrefix=batch-", Assert.Single(api.Calls).PathAndQuery);
        Assert.Equal($"""
            {"REQUEST",-40} {"STATE",-15} {"ATTEMPT",7}  {"UPDATED (UTC)",-20} REASON
            {"batch-1",-40} {"Failed",-15} {2,7}  {"2026-03-04 05:06:07",-20} HTTP 400 from sim

            """, output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Should_print_the_answer_as_it_came_on_the_last_line_with_json()
    {
        const string Fleet = """{"at":"2026-03-04T05:06:07Z","workers":[],"endpoints":[],"holds":[]}""";
        await using var api = await FakeApi.StartAsync(200, Fleet);

        var (code, output, _) = await CliRun.RunAsync("fleet", "--json", "--url", api.Url);

        Assert.Equal(0, code);
        Assert.Equal(Fleet, output.TrimEnd('\n', '\r').Split('\n')[^1]);
    }

    [Fact]
    public async Task Should_act_on_one_request_and_print_its_new_state()
    {
        await using var api = await FakeApi.StartAsync(202, """{"requestId":"r/1","state":"Cancelled"}""");

        var (code, output, _) = await CliRun.RunAsync("requests", "cancel", "r/1", "--reason", "no longer needed", "--url", api.Url);

        Assert.Equal(0, code);
        var call = Assert.Single(api.Calls);
        Assert.Equal(("/api/requests/r%2F1/cancel", """{"reason":"no longer needed"}"""), (call.PathAndQuery, call.Body));
        Assert.Equal("r/1: Cancelled (202)\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Should_print_the_problem_on_stderr_and_exit_1()
    {
        await using var api = await FakeApi.StartAsync(409, """{"title":"Request not cancellable","detail":"it already finished as Succeeded"}""");

        var (code, output, error) = await CliRun.RunAsync("requests", "cancel", "r-1", "--url", api.Url);

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Equal("api/requests/r-1/cancel: HTTP 409 Request not cancellable: it already finished as Succeeded\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Should_say_the_orchestrator_cannot_be_reached_and_exit_1()
    {
        var url = $"http://127.0.0.1:{ClosedPort()}/";

        var (code, output, error) = await CliRun.RunAsync("requests", "list", "--url", url);

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.StartsWith($"requests: cannot reach the orchestrator at {url}: ", error, StringComparison.Ordinal);
    }

    /// <summary>A port nothing listens on: one the system just handed out and took back.</summary>
    static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
