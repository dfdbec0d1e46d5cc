namespace Orchestrator.Persistence.Sagas;

/// <summary>
/// Side effects that must happen only once the saga's transaction has committed (creating or removing a Quartz
/// trigger): a payload of the consume context that the saga repository runs after COMMIT. A try that rolls back
/// drops them. A crash between commit and run loses them; the sweep repairs that from the saga row.
/// </summary>
public sealed class AfterCommitQueue
{
    readonly List<Func<CancellationToken, Task>> _actions = [];

    public void Add(Func<CancellationToken, Task> action)
    {
        lock (_actions)
            _actions.Add(action);
    }

    public void Clear()
    {
        lock (_actions)
            _actions.Clear();
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Func<CancellationToken, Task>[] actions;
        lock (_actions)
        {
            actions = [.. _actions];
            _actions.Clear();
        }
        foreach (var action in actions)
            await action(cancellationToken);
    }
}
