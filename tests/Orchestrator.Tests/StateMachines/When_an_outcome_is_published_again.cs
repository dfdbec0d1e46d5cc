using Orchestrator.Contracts;
using Orchestrator.StateMachines;

namespace Orchestrator.Tests.StateMachines;

/// <summary>
/// An outcome published again after a redelivery is built from the row read back from the database, which keeps whole
/// microseconds; the first one from the row in memory. Both must be the very same message.
/// </summary>
public sealed class When_an_outcome_is_published_again
{
    static InferenceRequestState Saga(DateTime completedAt) => new()
    {
        RequestId = "r-1",
        CurrentState = RequestStates.Succeeded,
        Output = "an answer",
        Attempt = 2,
        CompletedAt = completedAt,
        UpdatedAt = completedAt,
    };

    [Fact]
    public void Should_carry_the_same_time_as_the_row_read_back()
    {
        // 100 ns ticks in memory; PostgreSQL drops the last digit.
        var inMemory = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1_234_567);
        var readBack = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1_234_560);

        var first = Assert.IsType<InferenceSucceeded>(Saga(inMemory).Outcome());
        var again = Assert.IsType<InferenceSucceeded>(Saga(readBack).Outcome());

        Assert.Equal(new DateTimeOffset(readBack, TimeSpan.Zero), first.CompletedAt);
        Assert.Equal(first, again);
    }
}
