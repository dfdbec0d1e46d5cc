using Orchestrator.Bench.EndToEnd;
using Orchestrator.Bench.Floors;
using Orchestrator.Bench.Reporting;

namespace Orchestrator.Bench;

/// <summary>The verbs scripts/bench.sh calls, one measurement each.</summary>
public static class BenchCommand
{
    const string Usage = """
        usage: Orchestrator.Bench <verb> [--option value ...]
          floor-pg      --postgres CONN [--connections 16] [--seconds 5]
          floor-rabbit  --rabbitmq AMQP_URL [--messages 50000]
          floor-mt      --rabbitmq AMQP_URL [--messages 20000] [--publishers 1] [--in-flight 100] [--prefetch 50] [--concurrency 0]
                [--separate-buses false]
          e2e           --name NAME --postgres CONN --rabbitmq AMQP_URL --repo DIR --infra-ctl PATH --requests N
                        [--warmup-requests 200] [--paced-requests 0] [--paced-fraction 0.5] [--model-latency-ms 0] [--fault-rate 0]
                        [--first-call-fault-rate 0]
                        [--initial-backoff-ms 0] [--orchestrators 1] [--workers 1] [--submit-concurrency 64] [--timeout-seconds 300]
                        [--paced-seconds 20] [--connection-options 'No Reset On Close=true'] [--process-env DOTNET_gcServer=0] [--server-pid-files postgres=PATH,rabbitmq=PATH]
                        [--model-latency-jitter-ms 0] [--fault-mix 500=1 | model] [--outages 503@20+10,...] [--idle-after-seconds 30 (0 skips the 10 s idle window)]
          backlog       --name NAME --postgres CONN --rabbitmq AMQP_URL --repo DIR --infra-ctl PATH [--requests 100000]
                        [--model-latency-ms 2000] [--worker-concurrency 64] [--observe-seconds 300] [--timeout-seconds 3600]
                [--process-env Orchestrator__Timeouts__ScheduleToCloseTimeout=00:02:00]
          callbacks     --postgres CONN --rabbitmq AMQP_URL --repo DIR --infra-ctl PATH [--requests 1000] [--others 200] [--rounds 2]
                        [--model-latency-ms 0] [--timeout-seconds 600]
          batch         --name NAME --postgres CONN --rabbitmq AMQP_URL --repo DIR --infra-ctl PATH [--lines 10000]
                        [--accept-only false] [--model-latency-ms 0] [--timeout-seconds 1800] [--process-env NAME=VALUE,...]
          embedded      --repo DIR [--requests 10000] [--timeout-seconds 300]
          tokens        [--workers 3] [--tokens-per-minute 20000] [--minutes 3] [--callers 8] [--model-latency-ms 300]
                        [--prompt-words 20-400 as --min-prompt-words/--max-prompt-words] [--min-max-tokens 16] [--max-max-tokens 256] [--seed 1]
          report        --dir DIR --mode quick|full --out FILE
        Each verb's last stdout line is one JSON object.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        // Help asked for anywhere (`bench e2e --help`) is an answer, not a usage error: exit 0.
        if (args.Length == 0 || args.Any(a => a is "-h" or "--help") || args[0] == "help")
        {
            await Console.Error.WriteLineAsync(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        using var cancel = new CancellationTokenSource();
        // SIGINT and SIGTERM cancel the run, so the processes it started are stopped and its database dropped.
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Cancel);
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Cancel);

        void Cancel(System.Runtime.InteropServices.PosixSignalContext signal)
        {
            signal.Cancel = true;
            cancel.Cancel();
        }

        try
        {
            var options = BenchArguments.Parse(args[1..]);
            var result = args[0] switch
            {
                "floor-pg" => await FloorPg(options, cancel.Token),
                "floor-rabbit" => await FloorRabbit(options, cancel.Token),
                "floor-mt" => await FloorMt(options, cancel.Token),
                "e2e" => await EndToEnd(options, cancel.Token),
                "backlog" => await Backlog(options, cancel.Token),
                "callbacks" => await Callbacks(options, cancel.Token),
                "batch" => await Batch(options, cancel.Token),
                "embedded" => await Embedded(options, cancel.Token),
                "tokens" => await Tokens(options, cancel.Token),
                "report" => Report(options),
                _ => throw new BenchUsageException($"unknown verb '{args[0]}'"),
            };
            Console.WriteLine(result is string text ? text : BenchJson.Line(result));
            return 0;
        }
        catch (BenchUsageException exception)
        {
            await Console.Error.WriteLineAsync($"bench: {exception.Message}\n{Usage}");
            return 2;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"bench {args[0]}: interrupted; what it started is stopped");
            return 130;
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or IOException
                                              or System.Net.Http.HttpRequestException or Npgsql.NpgsqlException
                                              or RabbitMQ.Client.Exceptions.BrokerUnreachableException)
        {
            await Console.Error.WriteLineAsync($"bench {args[0]} failed: {exception.Message}");
            return 1;
        }
        catch (Exception exception)
        {
            // Process boundary: anything else is a bug or an unexpected failure; say so, after the runs' cleanup ran.
            await Console.Error.WriteLineAsync($"bench {args[0]} failed unexpectedly: {exception}");
            return 1;
        }
    }

    static async Task<object> FloorPg(BenchArguments options, CancellationToken cancel)
    {
        var connection = options.Text("postgres");
        var connections = options.Whole("connections", 16, 1, 256);
        var seconds = options.Whole("seconds", 5, 1, 120);
        options.RejectUnknown();
        Progress.Say($"floor-pg: saga-shaped insert + 2 version-checked updates, 3 commits, {connections} connections, {seconds} s");
        var result = await PostgresFloor.RunAsync(connection, connections, TimeSpan.FromSeconds(seconds), cancel);
        Progress.Say($"floor-pg: {result.CommitsPerSec} commits/s ({result.LifecyclesPerSec} lifecycles/s)");
        return result;
    }

    static async Task<object> FloorRabbit(BenchArguments options, CancellationToken cancel)
    {
        var broker = BrokerUri(options);
        var messages = options.Whole("messages", 50_000, 100, 1_000_000);
        options.RejectUnknown();
        Progress.Say($"floor-rabbit: {messages} persistent 512 B messages, confirms, manual ack");
        var result = await RabbitMqFloor.RunAsync(broker, messages, TimeSpan.FromSeconds(120), cancel);
        Progress.Say($"floor-rabbit: {result.MsgsPerSec} msgs/s");
        return result;
    }

    static async Task<object> FloorMt(BenchArguments options, CancellationToken cancel)
    {
        var broker = BrokerUri(options);
        var messages = options.Whole("messages", 20_000, 100, 1_000_000);
        var shape = new MassTransitFloorSettings(
            Publishers: options.Whole("publishers", 1, 1, 64),
            PublishesInFlight: options.Whole("in-flight", 100, 1, 10_000),
            Prefetch: options.Whole("prefetch", 50, 1, 10_000),
            ConcurrencyLimit: options.Whole("concurrency", 0, 0, 10_000),
            SeparateBuses: options.Text("separate-buses", "false") == "true");
        options.RejectUnknown();
        Progress.Say($"floor-mt: {messages} MassTransit messages, trivial consumer, {shape}");
        var result = await MassTransitFloor.RunAsync(broker, messages, shape, TimeSpan.FromSeconds(120), cancel);
        Progress.Say($"floor-mt: {result.MsgsPerSec} msgs/s");
        return result;
    }

    static async Task<object> EndToEnd(BenchArguments options, CancellationToken cancel)
    {
        var settings = new EndToEndSettings(
            Name: options.Text("name"),
            AdminConnectionString: options.Text("postgres"),
            Broker: BrokerUri(options),
            BinDirectory: options.Text("repo"),
            InfraCtl: options.Text("infra-ctl"),
            Requests: options.Whole("requests", 2_000, 10, 1_000_000),
            WarmupRequests: options.Whole("warmup-requests", 200, 0, 100_000),
            PacedRequests: options.Whole("paced-requests", 0, 0, 1_000_000),
            PacedFraction: options.Number("paced-fraction", 0.5, 0.01, 1),
            ModelLatencyMs: options.Whole("model-latency-ms", 0, 0, 60_000),
            FaultRate: options.Number("fault-rate", 0, 0, 0.9),
            FirstCallFaultRate: options.Number("first-call-fault-rate", 0, 0, 1),
            InitialBackoffMs: options.Whole("initial-backoff-ms", 0, 0, 600_000),
            Orchestrators: options.Whole("orchestrators", 1, 1, 8),
            Workers: options.Whole("workers", 1, 1, 16),
            SubmitConcurrency: options.Whole("submit-concurrency", 64, 1, 1024),
            Timeout: TimeSpan.FromSeconds(options.Whole("timeout-seconds", 300, 10, 3600)),
            PacedSeconds: options.Whole("paced-seconds", 20, 1, 600),
            ConnectionOptions: options.Text("connection-options", ""),
            ProcessEnvironment: Pairs("process-env", options.Text("process-env", "")),
            ServerPidFiles: Pairs("server-pid-files", options.Text("server-pid-files", "")),
            ModelLatencyJitterMs: options.Whole("model-latency-jitter-ms", 0, 0, 600_000),
            FaultMix: FaultMix(options.Text("fault-mix", "500=1")),
            Outages: Outages(options.Text("outages", "")),
            IdleAfter: TimeSpan.FromSeconds(options.Whole("idle-after-seconds", 30, 0, 600)));
        options.RejectUnknown();
        if (!System.Text.RegularExpressions.Regex.IsMatch(settings.Name, "^[a-z0-9-]{1,30}$"))
            throw new BenchUsageException($"--name must be 1-30 of [a-z0-9-] (got '{settings.Name}')");
        return await EndToEndRun.RunAsync(settings, cancel);
    }

    /// <summary>
    /// One orchestrator and one worker, no warm-up, paced run or faults, 64 submissions in flight: the cluster of the
    /// backlog, batch and callbacks verbs, which set what else they take with <c>with</c>.
    /// </summary>
    static EndToEndSettings OneOfEach(BenchArguments options, string name, int requests, int modelLatencyMs, TimeSpan timeout) => new(
        Name: name,
        AdminConnectionString: options.Text("postgres"),
        Broker: BrokerUri(options),
        BinDirectory: options.Text("repo"),
        InfraCtl: options.Text("infra-ctl"),
        Requests: requests,
        WarmupRequests: 0,
        PacedRequests: 0,
        PacedFraction: 0.5,
        ModelLatencyMs: modelLatencyMs,
        FaultRate: 0,
        FirstCallFaultRate: 0,
        InitialBackoffMs: 0,
        Orchestrators: 1,
        Workers: 1,
        SubmitConcurrency: 64,
        Timeout: timeout,
        PacedSeconds: 20,
        ConnectionOptions: "",
        ProcessEnvironment: new Dictionary<string, string>(),
        ServerPidFiles: new Dictionary<string, string>());

    static async Task<object> Backlog(BenchArguments options, CancellationToken cancel)
    {
        var concurrency = options.Whole("worker-concurrency", 64, 1, 1024);
        var settings = OneOfEach(options, options.Text("name"), options.Whole("requests", 100_000, 10, 1_000_000),
            options.Whole("model-latency-ms", 2_000, 0, 60_000), TimeSpan.FromSeconds(options.Whole("timeout-seconds", 3600, 60, 4 * 3600))) with
        {
            SubmitConcurrency = options.Whole("submit-concurrency", 64, 1, 1024),
            ConnectionOptions = options.Text("connection-options", ""),
            ProcessEnvironment = new Dictionary<string, string>(Pairs("process-env", options.Text("process-env", "")))
            {
                ["Workers__ConcurrencyLimit"] = concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            ServerPidFiles = Pairs("server-pid-files", options.Text("server-pid-files", "")),
        };
        var observe = TimeSpan.FromSeconds(options.Whole("observe-seconds", 300, 10, 3600));
        options.RejectUnknown();
        return await EndToEndRun.RunBacklogAsync(settings, observe, cancel);
    }

    /// <summary>
    /// A receiver that hangs against one that does not: rounds of two runs on fresh clusters, the others' callbacks to
    /// a second healthy receiver (A) or to one that never answers (B), in the order AB, BA, AB, ... so drift on a shared
    /// box falls on both alike.
    /// </summary>
    static async Task<object> Callbacks(BenchArguments options, CancellationToken cancel)
    {
        var requests = options.Whole("requests", 1_000, 10, 100_000);
        var others = options.Whole("others", 200, 1, 100_000);
        var rounds = options.Whole("rounds", 2, 1, 10);
        var settings = OneOfEach(options, "callbacks", requests, options.Whole("model-latency-ms", 0, 0, 60_000),
            TimeSpan.FromSeconds(options.Whole("timeout-seconds", 600, 60, 3600)));
        options.RejectUnknown();
        var runs = new List<CallbacksRun>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var hung in round % 2 == 1 ? new[] { false, true } : [true, false])
            {
                var name = $"callbacks-{(hung ? "b" : "a")}{round}";
                runs.Add(await EndToEndRun.RunCallbacksAsync(settings with { Name = name }, requests, others, hung, cancel));
            }
        }
        static double? Median(IEnumerable<double?> values) => Percentiles.Of(values.OfType<double>().ToList(), 0.5);
        object Summary(bool hung)
        {
            var mine = runs.Where(r => r.Hung == hung).ToList();
            return new
            {
                runs = mine.Count,
                requestsPerSec = Median(mine.Select(r => r.RequestsPerSec)),
                completionP50Ms = Median(mine.Select(r => r.CompletionP50Ms)),
                completionP99Ms = Median(mine.Select(r => r.CompletionP99Ms)),
                deliveryP50Ms = Median(mine.Select(r => r.DeliveryP50Ms)),
                deliveryP99Ms = Median(mine.Select(r => r.DeliveryP99Ms)),
                delivered = mine.Sum(r => r.Delivered),
                expected = mine.Sum(r => r.Requests),
            };
        }
        return new { verb = "callbacks", requests, others, rounds, withoutHung = Summary(false), withHung = Summary(true), runs };
    }

    static async Task<object> Batch(BenchArguments options, CancellationToken cancel)
    {
        var settings = OneOfEach(options, options.Text("name"), options.Whole("lines", 10_000, 1, 1_000_000),
            options.Whole("model-latency-ms", 0, 0, 60_000), TimeSpan.FromSeconds(options.Whole("timeout-seconds", 1800, 60, 4 * 3600))) with
        {
            ConnectionOptions = options.Text("connection-options", ""),
            ProcessEnvironment = Pairs("process-env", options.Text("process-env", "")),
            ServerPidFiles = Pairs("server-pid-files", options.Text("server-pid-files", "")),
        };
        var acceptOnly = options.Text("accept-only", "false") == "true";
        options.RejectUnknown();
        return await EndToEndRun.RunBatchAsync(settings, acceptOnly, cancel);
    }

    static async Task<object> Embedded(BenchArguments options, CancellationToken cancel)
    {
        var repository = options.Text("repo");
        var requests = options.Whole("requests", 10_000, 10, 1_000_000);
        var timeout = TimeSpan.FromSeconds(options.Whole("timeout-seconds", 300, 10, 3600));
        options.RejectUnknown();
        Progress.Say($"embedded: {requests} requests, one process on SQLite");
        var result = await EmbeddedRun.RunAsync(repository, requests, timeout, cancel);
        Progress.Say($"embedded: {result.RequestsPerSec} req/s");
        return result;
    }

    static async Task<object> Tokens(BenchArguments options, CancellationToken cancel)
    {
        var settings = new Quotas.TokenQuotaSettings(
            Workers: options.Whole("workers", 3, 1, 64),
            TokensPerMinute: options.Whole("tokens-per-minute", 20_000, 100, 100_000_000),
            Minutes: options.Whole("minutes", 3, 1, 60),
            CallersPerWorker: options.Whole("callers", 8, 1, 1_000),
            ModelLatencyMs: options.Whole("model-latency-ms", 300, 0, 60_000),
            MinPromptWords: options.Whole("min-prompt-words", 20, 1, 100_000),
            MaxPromptWords: options.Whole("max-prompt-words", 400, 1, 100_000),
            MinMaxTokens: options.Whole("min-max-tokens", 16, 1, 100_000),
            MaxMaxTokens: options.Whole("max-max-tokens", 256, 1, 100_000),
            Seed: options.Whole("seed", 1, 0, int.MaxValue));
        options.RejectUnknown();
        if (settings.MinPromptWords > settings.MaxPromptWords || settings.MinMaxTokens > settings.MaxMaxTokens)
            throw new BenchUsageException("each --min-... must be at most its --max-...");
        Progress.Say($"tokens: {settings.Workers} workers share {settings.TokensPerMinute} tokens/min for {settings.Minutes} min");
        var result = await Quotas.TokenQuotaRun.RunAsync(settings, cancel);
        Progress.Say($"tokens: busiest minute {result.BusiestMinuteTokens} ({result.BusiestMinuteToQuota:P1} of the quota), utilisation {result.Utilisation:P1}");
        return result;
    }

    static string Report(BenchArguments options)
    {
        var directory = options.Text("dir");
        var mode = options.Text("mode");
        var output = options.Text("out");
        options.RejectUnknown();
        if (mode is not ("quick" or "full"))
            throw new BenchUsageException($"--mode must be quick or full (got '{mode}')");
        return BenchReport.Write(directory, mode, output);
    }

    /// <summary>step=weight pairs for the simulated model's FaultMix, or "model" for its own default mix.</summary>
    static string FaultMix(string text)
    {
        if (text == "model")
            return text;
        var pairs = Pairs("fault-mix", text);
        if (pairs.Count == 0)
            throw new BenchUsageException("--fault-mix takes step=weight pairs (503=0.5,429=0.5) or 'model' for the simulated model's own mix");
        foreach (var (step, weight) in pairs)
        {
            if (step.Contains(':', StringComparison.Ordinal) || !double.TryParse(weight, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var w) || w < 0)
                throw new BenchUsageException($"--fault-mix: '{step}={weight}' must be a step without ':' (write 429_5 for 429:5) and a weight of 0 or more");
        }
        return text;
    }

    /// <summary>STEP@AT+FOR, comma-separated, seconds: 503@20+10 switches a 503 outage on 20 s into the run for 10 s.</summary>
    static List<ModelOutage> Outages(string text)
    {
        var outages = new List<ModelOutage>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = item.LastIndexOf('@');
            var plus = item.LastIndexOf('+');
            if (at < 1 || plus < at + 2 || plus == item.Length - 1 ||
                !double.TryParse(item[(at + 1)..plus], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var start) || start < 0 ||
                !double.TryParse(item[(plus + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var length) || length <= 0)
            {
                throw new BenchUsageException($"--outages takes STEP@AT+SECONDS items separated by commas, e.g. 503@20+10 (got '{item}')");
            }
            outages.Add(new ModelOutage(item[..at], TimeSpan.FromSeconds(start), TimeSpan.FromSeconds(length)));
        }
        return outages;
    }

    static Dictionary<string, string> Pairs(string option, string text)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            if (at < 1 || at == pair.Length - 1)
                throw new BenchUsageException($"--{option} takes name=value pairs separated by commas (got '{pair}')");
            files[pair[..at]] = pair[(at + 1)..];
        }
        return files;
    }

    static Uri BrokerUri(BenchArguments options)
    {
        var text = options.Text("rabbitmq");
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "amqp"
            ? uri
            : throw new BenchUsageException($"--rabbitmq must be an amqp:// URL (got '{text}')");
    }
}
