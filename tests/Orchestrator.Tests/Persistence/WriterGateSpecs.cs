using Orchestrator.Sagas.EntityFrameworkCore;

namespace Orchestrator.Tests.Persistence;

/// <summary>The embedded store's one writer at a time, in the order they asked; PostgreSQL never waits.</summary>
public sealed class WriterGateSpecs
{
    [Fact]
    public async Task Should_hand_the_SQLite_writer_turn_on_in_the_order_it_was_asked_for()
    {
        var gate = WriterGate.SingleWriter();
        var order = new List<int>();
        var first = await gate.EnterAsync(CancellationToken.None);
        var second = Task.Run(async () =>
        {
            using var turn = await gate.EnterAsync(CancellationToken.None);
            lock (order)
                order.Add(2);
        });
        await Task.Delay(50);
        Assert.False(second.IsCompleted, "a second writer entered while the first held the turn");
        lock (order)
            order.Add(1);
        first.Dispose();
        await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([1, 2], order);

        using var again = await gate.EnterAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Should_give_up_waiting_when_the_message_is_cancelled_and_leave_the_turn_with_its_holder()
    {
        var gate = WriterGate.SingleWriter();
        using var held = await gate.EnterAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await gate.EnterAsync(cancel.Token));
    }

    [Fact]
    public async Task Should_never_wait_on_PostgreSQL()
    {
        var gate = WriterGate.Open;
        using var a = await gate.EnterAsync(CancellationToken.None);
        var b = gate.EnterAsync(CancellationToken.None);
        Assert.True(b.IsCompletedSuccessfully);
        using var turn = await b;
    }
}
