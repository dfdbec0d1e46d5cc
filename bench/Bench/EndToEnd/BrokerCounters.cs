using System.Diagnostics;
using System.Globalization;

namespace Orchestrator.Bench.EndToEnd;

/// <summary>
/// The broker's own message counters (RabbitMQ's global counters, the numbers its Prometheus endpoint exports), read
/// with <c>rabbitmqctl eval</c> through scripts/infra-ctl.sh: publishes received, and deliveries to consumers. Cumulative
/// since the node started and exact (no sampling interval), so a delta over a run counts that run's messages.
/// </summary>
public sealed class BrokerCounters(string infraCtl)
{
    static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(120);

    const string Expression =
        "M = rabbit_global_counters:overview(), P = maps:get([{protocol,amqp091}], M), " +
        "C = maps:get([{protocol,amqp091},{queue_type,rabbit_classic_queue}], M), " +
        "Q = maps:get([{protocol,amqp091},{queue_type,rabbit_quorum_queue}], M), " +
        "io:format(\"bench-counters ~b ~b ~b~n\", [maps:get(messages_received_total, P), maps:get(messages_routed_total, P), " +
        "maps:get(messages_delivered_total, C) + maps:get(messages_delivered_total, Q)]).";

    public async Task<BrokerSnapshot> ReadAsync(CancellationToken cancel)
    {
        var info = new ProcessStartInfo(infraCtl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "rmqctl", "eval", Expression })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not run {infraCtl}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancel);
        var stderr = process.StandardError.ReadToEndAsync(cancel);
        // rabbitmqctl boots an Erlang VM for each call: seconds on a quiet box, much longer on a loaded one.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(ReadTimeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            process.Kill();
            throw new TimeoutException($"reading the broker counters with {infraCtl} rmqctl eval took longer than {ReadTimeout.TotalSeconds} s");
        }
        var line = (await stdout).Split('\n').FirstOrDefault(l => l.StartsWith("bench-counters ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"reading the broker counters failed (exit {process.ExitCode}): {await stdout} {await stderr}");
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new BrokerSnapshot(
            long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture));
    }
}

public sealed record BrokerSnapshot(long Published, long Routed, long Delivered);
