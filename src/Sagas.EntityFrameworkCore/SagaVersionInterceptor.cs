using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Orchestrator.Sagas.EntityFrameworkCore;

/// <summary>
/// Bumps <see cref="IVersionedSaga.Version"/> of every saga written in a SaveChanges, including a saga whose only
/// change is an added or changed child row: otherwise two writers could each add a child to the same saga
/// without either noticing the other.
/// </summary>
public sealed class SagaVersionInterceptor : SaveChangesInterceptor
{
    public static readonly SagaVersionInterceptor Instance = new();

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Bump(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        Bump(eventData.Context);
        return ValueTask.FromResult(result);
    }

    static void Bump(DbContext? context)
    {
        if (context is null)
            return;
        var touched = new HashSet<Guid>();
        foreach (var entry in context.ChangeTracker.Entries<ISagaChildRow>())
        {
            if (entry.State is EntityState.Added or EntityState.Modified)
                touched.Add(entry.Entity.CorrelationId);
        }
        foreach (var entry in context.ChangeTracker.Entries<IVersionedSaga>())
        {
            if (entry.State == EntityState.Modified || (entry.State == EntityState.Unchanged && touched.Contains(entry.Entity.CorrelationId)))
                entry.Entity.Version++;
        }
    }
}
