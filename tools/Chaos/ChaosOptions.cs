using System.Globalization;

namespace Orchestrator.Chaos;

/// <summary>The runner's arguments: <c>[--quick | --full] [--requests N] [--seed S]</c>.</summary>
public sealed record ChaosOptions
{
    /// <summary>The CI-sized run: at least this many requests, every fault kind once, under five minutes.</summary>
    public const int QuickMinimumRequests = 300;

    public const int DefaultRequests = 3000;

    public bool Quick { get; init; }

    /// <summary>The product's default timeouts instead of ones about 30 times shorter: slower, not for CI.</summary>
    public bool Full { get; init; }
    public int Requests { get; init; } = DefaultRequests;
    public int Seed { get; init; } = 1;

    /// <summary>Fewer requests than this fails the run (the quick run's promise; 1 otherwise).</summary>
    public int MinimumRequests => Quick ? QuickMinimumRequests : 1;

    /// <summary>Rounds of the fault kinds: one for the quick run, about one per 90 s of submissions otherwise.</summary>
    public int Rounds => Quick ? 1 : Math.Clamp((int)(SubmitWindow.TotalSeconds / 90), 1, 5);

    /// <summary>
    /// How long the planned submissions are spread over: faults strike while requests keep arriving (and keep arriving
    /// past it while a fault is under way: the broker's faults take turns).
    /// </summary>
    public TimeSpan SubmitWindow => Quick
        ? TimeSpan.FromSeconds(60)
        : TimeSpan.FromSeconds(Math.Max(45, Requests / 15.0));

    /// <summary>
    /// Every request must be terminal this long after the last fault ended: a minute with the short timeouts; with the
    /// defaults, an attempt lost with its worker waits out the 90 s start-to-close timeout, its retries too.
    /// </summary>
    public TimeSpan SettleLimit => Full ? TimeSpan.FromMinutes(15) : TimeSpan.FromSeconds(60);

    public static string Usage =>
        "usage: Orchestrator.Chaos [--quick | --full] [--requests N] [--seed S]\n" +
        $"  --quick       CI-sized: {QuickMinimumRequests} requests by default, every fault kind once, under 5 minutes\n" +
        "  --full        the product's default timeouts (the others use ones about 30x shorter): reports the longest wait\n" +
        $"  --requests N  requests to submit (default {DefaultRequests}, --quick {QuickMinimumRequests})\n" +
        "  --seed S      seed of the fault schedule, the duplicates and the model's faults (default 1)\n" +
        "Needs ORCH_TEST_POSTGRES, ORCH_TEST_RABBITMQ and INFRA_DIR (source \"$INFRA_DIR/env\" after scripts/infra-up.sh).";

    /// <summary>Parses the arguments, or returns the problem.</summary>
    public static (ChaosOptions? Options, string? Problem) Parse(IReadOnlyList<string> args)
    {
        var quick = false;
        var full = false;
        int? requests = null;
        var seed = 1;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--full":
                    full = true;
                    break;
                case "--requests" when i + 1 < args.Count:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > 100_000)
                        return (null, $"--requests must be a whole number from 1 to 100000 (got '{args[i]}')");
                    requests = n;
                    break;
                case "--seed" when i + 1 < args.Count:
                    if (!int.TryParse(args[++i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out seed))
                        return (null, $"--seed must be a whole number (got '{args[i]}')");
                    break;
                default:
                    return (null, $"unknown or incomplete argument '{args[i]}'");
            }
        }
        if (quick && full)
            return (null, "--quick and --full exclude each other: the quick run is the CI-sized one with short timeouts");
        return (new ChaosOptions { Quick = quick, Full = full, Requests = requests ?? (quick ? QuickMinimumRequests : DefaultRequests), Seed = seed }, null);
    }
}
