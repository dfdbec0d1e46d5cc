namespace Orchestrator.Chaos;

/// <summary>When each fault strikes, fixed by the seed: every round holds each kind once, in a shuffled order.</summary>
public static class FaultSchedule
{
    public static IReadOnlyList<(TimeSpan At, FaultKind Kind)> Build(ChaosOptions options)
    {
        var random = new Random(options.Seed);
        var kinds = Enum.GetValues<FaultKind>();
        var total = kinds.Length * options.Rounds;
        // The faults share the submission window; each starts somewhere in the first half of its own slot.
        var slot = options.SubmitWindow / total;
        var schedule = new List<(TimeSpan, FaultKind)>(total);
        for (var round = 0; round < options.Rounds; round++)
        {
            var order = kinds.ToArray();
            random.Shuffle(order);
            for (var i = 0; i < order.Length; i++)
            {
                var index = round * kinds.Length + i;
                var at = TimeSpan.FromSeconds(3) + slot * index + slot * (random.NextDouble() * 0.5);
                schedule.Add((at, order[i]));
            }
        }
        return schedule;
    }
}
