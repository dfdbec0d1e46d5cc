using System.CommandLine;
using static Orchestrator.Cli.CliOutput;

namespace Orchestrator.Cli;

/// <summary>
/// <c>batches submit|list|show|cancel|retry|results</c>: an OpenAI Batch API file in, watched, and its results file out.
/// </summary>
sealed class BatchesCommand : Command
{
    static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(1);

    public BatchesCommand(ApiOptions api) : base("batches", "Submit an OpenAI Batch API file, watch it, and fetch its results")
    {
        api.AddTo(this);
        Add(Submit(api));
        Add(List(api));
        Add(Show(api));
        Add(Act(api, "cancel", "Cancel every request of the batch that has not finished"));
        Add(Act(api, "retry", "Retry the batch's failed requests"));
        Add(Results(api));
    }

    static Command Submit(ApiOptions api)
    {
        var file = new Argument<string>("FILE") { Description = "The batch file: one OpenAI Batch API request a line (.jsonl)" };
        file.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } path && !File.Exists(path))
                result.AddError($"no such file '{path}'");
        });
        var id = new Option<string>("--id") { Description = "The batch id (sent as Idempotency-Key): submitting it again returns the same batch", HelpName = "ID" };
        var wait = CliOptions.Flag("--wait", "Wait until every request has finished, showing progress");
        var window = new Option<string>("--completion-window") { Description = "Each request's deadline, from now: 24h, 90m, 2d, ...", HelpName = "DURATION" };
        var priority = CliOptions.WholeNumber("--priority", "1-5", "Every request's priority, unless its line sets one", 1, 5);
        var callbackUrl = new Option<string>("--callback-url")
        {
            Description = "Where the batch's completion is POSTed, signed (batch.completed); the URL rules of a request's callback apply",
            HelpName = "URL",
        };
        var submit = new Command("submit", "Submit a batch file; it is accepted whole or refused with its bad lines") { file, id, wait, window, priority, callbackUrl };
        submit.SetAction(parse => api.CallAsync(parse, "batches submit", async client =>
        {
            var query = new List<string>();
            if (parse.GetValue(window) is { } w)
                query.Add($"completionWindow={Uri.EscapeDataString(w)}");
            if (parse.GetValue(priority) is { } p)
                query.Add($"priority={p}");
            if (parse.GetValue(callbackUrl) is { } url)
                query.Add($"callbackUrl={Uri.EscapeDataString(url)}");
            // The id is chosen here when not given, so --wait knows it whatever the answer's form (--json prints it as it came).
            var batchId = parse.GetValue(id) ?? "batch-" + Guid.CreateVersion7().ToString("N");
            var headers = new Dictionary<string, string> { ["Idempotency-Key"] = batchId };
            await using var stream = File.OpenRead(parse.GetRequiredValue(file));
            var path = "api/batches" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
            var (code, doc) = await client.PostStreamAsync(path, stream, "application/jsonl", headers, "batches submit");
            if (code != 0)
                return code;
            if (doc is not null)
            {
                using (doc)
                    await client.Output.WriteLineAsync($"{Text(doc.RootElement, "batchId")}: {Number(doc.RootElement, "requests")} requests accepted");
            }
            return parse.GetValue(wait) ? await WaitAsync(client, batchId) : 0;
        }));
        return submit;
    }

    /// <summary>Polls the batch until it is no longer InProgress: a progress bar on a terminal, a line per change otherwise.</summary>
    static async Task<int> WaitAsync(ApiClient client, string batchId)
    {
        var terminal = !client.Json && ReferenceEquals(client.Output, Console.Out) && !Console.IsOutputRedirected;
        var path = $"api/batches/{Uri.EscapeDataString(batchId)}";
        var last = "";
        while (true)
        {
            var (code, doc) = await client.ReadAsync(path, "batches submit --wait");
            if (doc is null)
                return code;
            using (doc)
            {
                var b = doc.RootElement;
                var total = b.GetProperty("total").GetInt32();
                var counts = b.GetProperty("counts");
                int Count(string state) => counts.TryGetProperty(state, out var n) ? n.GetInt32() : 0;
                var finished = Count("Succeeded") + Count("Failed") + Count("Cancelled");
                var state = Text(b, "state");
                var line = $"{batchId}: {finished}/{total} finished ({Count("Succeeded")} succeeded, {Count("Failed")} failed, {Count("Cancelled")} cancelled)";
                if (terminal)
                {
                    const int width = 30;
                    var filled = total == 0 ? width : finished * width / total;
                    await client.Output.WriteAsync($"\r[{new string('#', filled)}{new string('.', width - filled)}] {line}");
                }
                else if (line != last && !client.Json)
                {
                    await client.Output.WriteLineAsync(line);
                }
                last = line;
                if (state != "InProgress")
                {
                    if (terminal)
                        await client.Output.WriteLineAsync();
                    if (client.Json)
                        await client.Output.WriteLineAsync(b.GetRawText());
                    else
                        await client.Output.WriteLineAsync($"{batchId}: {state}");
                    return 0;
                }
            }
            await Task.Delay(PollEvery);
        }
    }

    static Command List(ApiOptions api)
    {
        var limit = CliOptions.WholeNumber("--limit", "N", "List at most N batches, newest first", 1, 500, defaultValue: 50);
        var list = new Command("list", "List batches, newest first") { limit };
        list.SetAction(parse => api.CallAsync(parse, "batches list", async client =>
        {
            var (code, page) = await client.GetAsync($"api/batches?limit={parse.GetValue(limit)}", "batches list");
            if (page is null)
                return code;
            using var owned = page;
            await client.Output.WriteLineAsync($"{"BATCH",-40} {"STATE",-11} {"TOTAL",7} {"DONE",7} {"FAILED",7}  CREATED (UTC)");
            foreach (var b in page.RootElement.GetProperty("items").EnumerateArray())
            {
                var counts = b.GetProperty("counts");
                var done = counts.GetProperty("Succeeded").GetInt32() + counts.GetProperty("Failed").GetInt32() + counts.GetProperty("Cancelled").GetInt32();
                await client.Output.WriteLineAsync($"{Cut(Text(b, "batchId"), 40),-40} {Text(b, "state"),-11} {b.GetProperty("total").GetInt32(),7} {done,7} " +
                    $"{counts.GetProperty("Failed").GetInt32(),7}  {Time(b, "createdAt")}");
            }
            return 0;
        }));
        return list;
    }

    static Command Show(ApiOptions api)
    {
        var id = new Argument<string>("ID") { Description = "The batch's id" };
        var show = new Command("show", "One batch: its state and its requests by state") { id };
        show.SetAction(parse => api.CallAsync(parse, "batches show", async client =>
        {
            var (code, doc) = await client.GetAsync($"api/batches/{Uri.EscapeDataString(parse.GetRequiredValue(id))}", "batches show");
            if (doc is null)
                return code;
            using var owned = doc;
            var b = doc.RootElement;
            await client.Output.WriteLineAsync($"batch       {Text(b, "batchId")}");
            await client.Output.WriteLineAsync($"state       {Text(b, "state")}   total {b.GetProperty("total").GetInt32()}");
            await client.Output.WriteLineAsync($"created     {Time(b, "createdAt")}   completed {Time(b, "completedAt")}");
            foreach (var count in b.GetProperty("counts").EnumerateObject().Where(c => c.Value.GetInt32() > 0))
                await client.Output.WriteLineAsync($"{count.Name,-15} {count.Value.GetInt32(),7}");
            return 0;
        }));
        return show;
    }

    static Command Act(ApiOptions api, string action, string description)
    {
        var id = new Argument<string>("ID") { Description = "The batch's id" };
        var command = new Command(action, description) { id };
        command.SetAction(parse => api.CallAsync(parse, $"batches {action}", async client =>
        {
            var (code, doc) = await client.PostAsync($"api/batches/{Uri.EscapeDataString(parse.GetRequiredValue(id))}/{action}", new { }, $"batches {action}");
            if (doc is null)
                return code;
            using var owned = doc;
            var r = doc.RootElement;
            await client.Output.WriteLineAsync($"{action}: matched {r.GetProperty("matched").GetInt32()}, accepted {r.GetProperty("accepted").GetInt32()}, " +
                $"skipped {r.GetProperty("skipped").GetInt32()}" + (r.GetProperty("more").GetBoolean() ? "; more match: run it again" : ""));
            return 0;
        }));
        return command;
    }

    static Command Results(ApiOptions api)
    {
        var id = new Argument<string>("ID") { Description = "The batch's id" };
        var output = new Option<string>("--output", "-o") { Description = "Write the results file here instead of to stdout", HelpName = "FILE" };
        var results = new Command("results", "The results file (OpenAI Batch output format), one line per finished request, in input order") { id, output };
        results.SetAction(parse => api.CallAsync(parse, "batches results", async client =>
        {
            var path = $"api/batches/{Uri.EscapeDataString(parse.GetRequiredValue(id))}/results";
            if (parse.GetValue(output) is not { } file)
                return await client.DownloadAsync(path, client.Output, "batches results");
            // Written beside the target and moved into place, so an error leaves no half file under its name.
            var partial = file + ".partial";
            int code;
            await using (var writer = new StreamWriter(File.Create(partial), new System.Text.UTF8Encoding(false)))
                code = await client.DownloadAsync(path, writer, "batches results");
            if (code != 0)
            {
                File.Delete(partial);
                return code;
            }
            File.Move(partial, file, overwrite: true);
            return 0;
        }));
        return results;
    }
}
