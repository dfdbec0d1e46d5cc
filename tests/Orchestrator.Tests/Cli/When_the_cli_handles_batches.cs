namespace Orchestrator.Tests.Cli;

/// <summary>The <c>batches</c> verbs against a stand-in API.</summary>
public sealed class When_the_cli_handles_batches : IDisposable
{
    const string Finished = """
        {"batchId":"b-1","requests":2,"state":"Completed","total":2,"counts":{"Pending":0,"Succeeded":1,"Failed":1,"Cancelled":0},"createdAt":"2026-03-04T05:06:07Z","completedAt":"2026-03-04T05:07:00Z"}
        """;

    readonly string _folder = Directory.CreateTempSubdirectory("batches-cli-").FullName;

    string File(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Should_send_the_file_as_jsonl_under_its_id_and_wait_for_the_batch_to_finish()
    {
        await using var api = await FakeApi.StartAsync(202, Finished);
        const string lines = "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n";
        var file = File("in.jsonl", lines);

        var (code, output, error) = await CliRun.RunAsync("batches", "submit", file, "--id", "b-1", "--wait", "--completion-window", "24h",
            "--priority", "4", "--url", api.Url);

        Assert.True(code == 0, error);
        var post = api.Calls[0];
        Assert.Equal(("POST", "/api/batches?completionWindow=24h&priority=4", lines), (post.Method, post.PathAndQuery, post.Body));
        Assert.Equal(("application/jsonl", "b-1"), (post.ContentType, post.IdempotencyKey));
        Assert.Equal(("GET", "/api/batches/b-1"), (api.Calls[1].Method, api.Calls[1].PathAndQuery));
        // Not a terminal: plain lines, no progress bar.
        Assert.Equal("""
            b-1: 2 requests accepted
            b-1: 2/2 finished (1 succeeded, 1 failed, 0 cancelled)
            b-1: Completed

            """, output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Should_print_each_refused_line_and_exit_1()
    {
        await using var api = await FakeApi.StartAsync(400, """
            {"title":"The batch is invalid","status":400,"detail":"2 of 3 lines are invalid; nothing was created",
             "errors":[{"line":2,"customId":"b","error":"body.n: only n = 1 is supported"},{"line":3,"customId":null,"error":"not valid JSON"}]}
            """);

        var (code, output, error) = await CliRun.RunAsync("batches", "submit", File("in.jsonl", "x\n"), "--url", api.Url);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal("""
            batches submit: HTTP 400 The batch is invalid: 2 of 3 lines are invalid; nothing was created
              line 2 (b): body.n: only n = 1 is supported
              line 3: not valid JSON

            """, error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Should_write_the_results_file_where_it_is_told()
    {
        const string results = "{\"id\":\"b-1:a\",\"custom_id\":\"a\"}\n{\"id\":\"b-1:b\",\"custom_id\":\"b\"}\n";
        await using var api = await FakeApi.StartAsync(200, results);
        var target = Path.Combine(_folder, "out.jsonl");

        var (code, _, error) = await CliRun.RunAsync("batches", "results", "b-1", "-o", target, "--url", api.Url);

        Assert.True(code == 0, error);
        Assert.Equal("/api/batches/b-1/results", Assert.Single(api.Calls).PathAndQuery);
        Assert.Equal(results, await System.IO.File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task Should_leave_no_results_file_when_the_batch_is_unknown()
    {
        await using var api = await FakeApi.StartAsync(404, """{"title":"Batch not found","status":404,"detail":"no batch with id 'b-9'"}""");
        var target = Path.Combine(_folder, "out.jsonl");

        var (code, _, error) = await CliRun.RunAsync("batches", "results", "b-9", "-o", target, "--url", api.Url);

        Assert.Equal(1, code);
        Assert.Contains("Batch not found", error, StringComparison.Ordinal);
        Assert.False(System.IO.File.Exists(target));
        Assert.False(System.IO.File.Exists(target + ".partial"));
    }

    [Fact]
    public async Task Should_cancel_a_batch_and_print_the_counts()
    {
        await using var api = await FakeApi.StartAsync(202, """{"action":"cancel","dryRun":false,"matched":3,"accepted":2,"skipped":1,"more":false}""");

        var (code, output, error) = await CliRun.RunAsync("batches", "cancel", "b-1", "--url", api.Url);

        Assert.True(code == 0, error);
        Assert.Equal(("POST", "/api/batches/b-1/cancel"), (api.Calls[0].Method, api.Calls[0].PathAndQuery));
        Assert.Equal("cancel: matched 3, accepted 2, skipped 1\n", output.ReplaceLineEndings("\n"));
    }
}
