using Orchestrator.Chaos;

// The chaos runner: see scripts/chaos.sh. Exit 0 = every invariant held, 1 = one failed, 2 = bad arguments,
// 3 = the run could not be set up (servers missing, a process would not start).
var (options, problem) = ChaosOptions.Parse(args);
if (options is null)
{
    await Console.Error.WriteLineAsync($"{problem}\n{ChaosOptions.Usage}");
    return 2;
}

if (options.Requests < options.MinimumRequests)
{
    // The quick run promises at least this many requests: a smaller one fails rather than passing for one.
    await Console.Error.WriteLineAsync($"--quick needs at least {ChaosOptions.QuickMinimumRequests} requests (got {options.Requests})");
    return 1;
}

string[] required = ["ORCH_TEST_POSTGRES", "ORCH_TEST_RABBITMQ", "INFRA_DIR"];
var missing = required.Where(v => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v))).ToList();
if (missing.Count > 0)
{
    await Console.Error.WriteLineAsync($"{string.Join(", ", missing)} not set: start the servers with scripts/infra-up.sh and source \"$INFRA_DIR/env\" (scripts/chaos.sh does both).");
    return 3;
}

try
{
    return await new ChaosRun(options, Environment.GetEnvironmentVariable("ORCH_TEST_POSTGRES")!, Environment.GetEnvironmentVariable("ORCH_TEST_RABBITMQ")!).RunAsync();
}
catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or FileNotFoundException or DirectoryNotFoundException
    or Npgsql.NpgsqlException or RabbitMQ.Client.Exceptions.BrokerUnreachableException or HttpRequestException)
{
    await Console.Error.WriteLineAsync($"[chaos] the run could not be carried out: {exception}");
    return 3;
}
