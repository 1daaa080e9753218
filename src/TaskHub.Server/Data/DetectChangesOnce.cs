using Microsoft.EntityFrameworkCore.Diagnostics;

namespace TaskHub.Server.Data;

/// <summary>
/// The first interceptor of every save: detects the save's changes once, and the interceptors after it read the tracked
/// entries without detecting them again (<see cref="TaskHubDbContext.SavingEntries{T}"/>). EF's
/// <c>ChangeTracker.Entries()</c> compares every tracked entity with its snapshot on each call, and four interceptors
/// read the entries of every save (times stamped, outbox rows, the live push, the outbox's wake-up): a task creation
/// compared each of its entities five times.
/// <para>It runs after the context's <c>SavingChanges</c> event, so what a handler of that event changes is detected
/// here (an idempotency key's time, stamped as it is saved). EF detects once more after the interceptors, so what they
/// change (times stamped) is saved; the entities they add, they add with <c>Add</c>, which tracks them at once. What an
/// interceptor after this one adds to a navigation instead would be saved but not seen by the ones after it: none does.
/// Registered before every other interceptor (<see cref="DataExtensions"/>).</para>
/// </summary>
public sealed class DetectChangesOnce : ISaveChangesInterceptor
{
    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        TaskHubDbContext.DetectChangesForSave(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        TaskHubDbContext.DetectChangesForSave(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        TaskHubDbContext.SaveEnded(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken ct = default)
    {
        TaskHubDbContext.SaveEnded(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => TaskHubDbContext.SaveEnded(eventData.Context);

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken ct = default)
    {
        TaskHubDbContext.SaveEnded(eventData.Context);
        return Task.CompletedTask;
    }

    public void SaveChangesCanceled(DbContextEventData eventData) => TaskHubDbContext.SaveEnded(eventData.Context);

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken ct = default)
    {
        TaskHubDbContext.SaveEnded(eventData.Context);
        return Task.CompletedTask;
    }
}
