using MassTransit;
using Orchestrator.Contracts;

namespace Orchestrator.Workers.Consumers;

/// <summary>
/// Tells the saga a model call started (<see cref="AttemptStarted"/>) once the call has run for
/// <see cref="Hosting.WorkerOptions.StartedNoticeDelay"/>, unless the answer comes first: then the result carries the
/// start. The delay is real time (it only saves messages, it decides nothing); zero publishes before the call.
/// </summary>
sealed class StartedNotice : IAsyncDisposable
{
    readonly CancellationTokenSource _answered = new();
    readonly Task _sent;

    StartedNotice(ConsumeContext context, AttemptStarted started, TimeSpan delay) =>
        _sent = SendAfterAsync(context, started, delay, _answered.Token);

    StartedNotice()
    {
        _sent = Task.CompletedTask;
    }

    public static async Task<StartedNotice> BeginAsync(ConsumeContext context, AttemptStarted started, TimeSpan delay)
    {
        if (delay > TimeSpan.Zero)
            return new StartedNotice(context, started, delay);
        await context.Publish(started, context.CancellationToken);
        return new StartedNotice();
    }

    /// <summary>The call answered: a notice not yet sent is not sent; one already leaving goes before the result.</summary>
    public async Task AnsweredAsync()
    {
        await _answered.CancelAsync();
        await _sent;
    }

    /// <summary>However the call ended (a stopping worker cancels it), a notice not yet sent is not sent.</summary>
    public async ValueTask DisposeAsync()
    {
        await _answered.CancelAsync();
        _answered.Dispose();
    }

    static async Task SendAfterAsync(ConsumeContext context, AttemptStarted started, TimeSpan delay, CancellationToken answered)
    {
        try
        {
            await Task.Delay(delay, answered);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await context.Publish(started, context.CancellationToken);
    }
}
