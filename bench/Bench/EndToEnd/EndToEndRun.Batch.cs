using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Orchestrator.Bench.EndToEnd;

/// <summary>What a batch run measured (<see cref="EndToEndRun.RunBatchAsync"/>). RSS figures are the orchestrator's, MB.</summary>
public sealed record BatchRunResult(
    string Name,
    DateTime StartedAtUtc,
    int Lines,
    double FileMb,
    int ModelLatencyMs,
    IReadOnlyDictionary<string, string> NonDefaults,
    double AcceptSeconds,
    double? RssBeforeMb,
    double? PeakRssAcceptingMb,
    double? CompleteSeconds,
    double? PeakRssCompletingMb,
    IReadOnlyDictionary<string, long>? Counts,
    double? ResultsSeconds,
    double? ResultsMb,
    long? ResultLines,
    double? RssAtResultsStartMb,
    double? PeakRssResultsMb,
    double? PeakRssMb);

public sealed partial class EndToEndRun
{
    /// <summary>
    /// One OpenAI Batch file of <see cref="EndToEndSettings.Requests"/> lines through the production shape: the time
    /// from sending the file to the 202, the time until the batch completes, and the time to stream its results file,
    /// with the orchestrator's resident memory sampled in each phase (is it flat while the results stream?). With
    /// <paramref name="acceptOnly"/>, only the acceptance is measured (the run's processes and database go with the run).
    /// </summary>
    public static Task<BatchRunResult> RunBatchAsync(EndToEndSettings settings, bool acceptOnly, CancellationToken cancel) =>
        RunBoundedAsync(settings, (run, token) => run.BatchAsync(acceptOnly, token), cancel);

    async Task<BatchRunResult> BatchAsync(bool acceptOnly, CancellationToken cancel)
    {
        var started = DateTime.UtcNow;
        var lines = _settings.Requests;
        var file = Path.Combine(Path.GetTempPath(), $"bench-batch-{Environment.ProcessId}.jsonl");
        try
        {
            await WriteBatchFileAsync(file, lines, cancel);
            var fileMb = new FileInfo(file).Length / 1048576.0;
            await StartClusterAsync(cancel);
            _probe = new Npgsql.NpgsqlConnection(_connectionString);
            await _probe.OpenAsync(cancel);
            var orchestrator = _orchestrators[0];

            // The highest RSS seen in each phase, sampled every 100 ms: VmHWM alone cannot tell the phases apart.
            var phase = 0;
            var peaks = new double[3];
            using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    if (orchestrator.RssMb() is { } rss)
                    {
                        var at = Volatile.Read(ref phase);
                        peaks[at] = Math.Max(peaks[at], rss);
                    }
                    await Task.Delay(100, sampling.Token).ConfigureAwait(false);
                }
            }, sampling.Token);

            async Task StopSamplingAsync()
            {
                await sampling.CancelAsync();
                try
                {
                    await sampler;
                }
                catch (OperationCanceledException)
                {
                    // Stopped.
                }
            }

            var rssBefore = orchestrator.RssMb();
            Progress.Say($"{_settings.Name}: submitting a batch of {lines} lines ({fileMb:F1} MB), orchestrator at {rssBefore:F0} MB");
            var batchId = $"bench-{_settings.Name}";
            var clock = Stopwatch.StartNew();
            await using (var stream = File.OpenRead(file))
            {
                using var content = new StreamContent(stream, 64 * 1024);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(orchestrator.BaseUrl, "api/batches")) { Content = content };
                request.Headers.Add("Idempotency-Key", batchId);
                // The upload and the whole-file check take longer than the shared client's per-request timeout.
                using var client = new HttpClient { Timeout = _settings.Timeout };
                using var response = await client.SendAsync(request, cancel);
                if (response.StatusCode != HttpStatusCode.Accepted)
                    throw new InvalidOperationException($"POST api/batches: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancel)}");
            }
            var acceptSeconds = clock.Elapsed.TotalSeconds;
            Volatile.Write(ref phase, 1);
            Progress.Say($"{_settings.Name}: accepted in {acceptSeconds:F1} s; {(acceptOnly ? "done" : "waiting for it to complete")}");
            if (acceptOnly)
            {
                await Task.Delay(200, cancel); // one more sample of the acceptance
                var peak = orchestrator.PeakRssMb();
                await StopSamplingAsync();
                Progress.Say($"{_settings.Name}: RSS peak while accepting {peaks[0]:F0} MB, VmHWM {peak:F0} MB");
                return new BatchRunResult(_settings.Name, started, lines, Math.Round(fileMb, 1), _settings.ModelLatencyMs, NonDefaults(),
                    Math.Round(acceptSeconds, 2), Round1(rssBefore), Round1(peaks[0]), null, null, null, null, null, null, null, null, Round1(peak));
            }

            clock.Restart();
            Dictionary<string, long> counts;
            while (true)
            {
                var status = await _http.GetFromJsonAsync<JsonElement>(new Uri(orchestrator.BaseUrl, $"api/batches/{batchId}"), cancel);
                if (status.GetProperty("state").GetString() != "InProgress")
                {
                    counts = status.GetProperty("counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal);
                    break;
                }
                await Task.Delay(1000, cancel);
            }
            var completeSeconds = clock.Elapsed.TotalSeconds;
            Volatile.Write(ref phase, 2);
            var rssAtResults = orchestrator.RssMb();
            Progress.Say($"{_settings.Name}: completed in {completeSeconds:F1} s ({string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"))}); streaming the results");

            clock.Restart();
            long bytes = 0, resultLines = 0;
            using (var response = await _http.GetAsync(new Uri(orchestrator.BaseUrl, $"api/batches/{batchId}/results"), HttpCompletionOption.ResponseHeadersRead, cancel))
            {
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"GET results: {(int)response.StatusCode}");
                await using var body = await response.Content.ReadAsStreamAsync(cancel);
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await body.ReadAsync(buffer, cancel)) > 0)
                {
                    bytes += read;
                    resultLines += buffer.AsSpan(0, read).Count((byte)'\n');
                }
            }
            var resultsSeconds = clock.Elapsed.TotalSeconds;
            await Task.Delay(200, cancel); // one more sample of the results phase
            var peakRss = orchestrator.PeakRssMb();
            await StopSamplingAsync();
            if (resultLines != counts.Where(c => c.Key is "Succeeded" or "Failed" or "Cancelled").Sum(c => c.Value))
                throw new InvalidOperationException($"the results file has {resultLines} lines for {string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"))}");
            Progress.Say($"{_settings.Name}: {resultLines} result lines ({bytes / 1048576.0:F1} MB) in {resultsSeconds:F2} s; RSS peaks {peaks[0]:F0} / {peaks[1]:F0} / {peaks[2]:F0} MB, VmHWM {peakRss:F0} MB");
            return new BatchRunResult(_settings.Name, started, lines, Math.Round(fileMb, 1), _settings.ModelLatencyMs, NonDefaults(),
                Math.Round(acceptSeconds, 2), Round1(rssBefore), Round1(peaks[0]), Math.Round(completeSeconds, 1), Round1(peaks[1]), counts,
                Math.Round(resultsSeconds, 2), Math.Round(bytes / 1048576.0, 1), resultLines, Round1(rssAtResults), Round1(peaks[2]), Round1(peakRss));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>OpenAI Batch input lines, each a chat completion as a user's evaluation file would hold.</summary>
    static async Task WriteBatchFileAsync(string path, int lines, CancellationToken cancel)
    {
        await using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 64 * 1024);
        for (var i = 0; i < lines; i++)
        {
            var line = string.Create(CultureInfo.InvariantCulture,
                $$$"""{"custom_id":"line-{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"sim","messages":[{"role":"system","content":"You label support tickets."},{"role":"user","content":"Ticket {{{i}}}: my invoice shows the wrong amount"}],"max_tokens":64,"temperature":0}}""");
            await writer.WriteLineAsync(line.AsMemory(), cancel);
        }
    }
}
