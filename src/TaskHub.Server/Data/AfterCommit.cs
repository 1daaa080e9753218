using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace TaskHub.Server.Data;

/// <summary>
/// Watches every DbContext save for added entities of type <typeparamref name="T"/> and hands them to
/// <see cref="Committed"/> only once the transaction they were saved in commits (EF's, or MariaDB's
/// <see cref="InlineTransaction"/>), or right after the save when there is none; those of a transaction that rolls back
/// are dropped. So what is told (the realtime push of board events, the outbox dispatcher's wake-up) follows every
/// committed change, from whichever code path made it, and nothing else. Entities an earlier interceptor adds while the
/// save starts count too, when this one is registered after it.
/// </summary>
public abstract class AfterCommit<T> : ISaveChangesInterceptor, IDbTransactionInterceptor where T : class
{
    /// <summary>One use of a context: what its save is writing, and what was saved in a transaction not yet committed. A
    /// use that ends with neither done (a transaction disposed uncommitted) drops them. Saved in an
    /// <see cref="InlineTransaction"/> (which EF does not see), they wait for it to end.</summary>
    private sealed class Pending : IContextUseState, InlineTransaction.IEndListener
    {
        public readonly List<T> Saving = [];
        public readonly List<T> Committing = [];
        public AfterCommit<T>? Owner;

        public void Ended(bool committed)
        {
            if (committed) Owner?.Flush(this);
            else Committing.Clear();
        }

        public void Reset()
        {
            Saving.Clear();
            Committing.Clear();
        }
    }

    /// <summary>The entities of a commit (at least one), in the order they were added; the list is cleared when this returns.</summary>
    protected abstract void Committed(IReadOnlyList<T> committed);

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        Stage(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Stage(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken ct = default)
    {
        Saved(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Saved(eventData.Context);
        return result;
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => Of(eventData.Context)?.Saving.Clear();

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken ct = default)
    {
        Of(eventData.Context)?.Saving.Clear();
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Flush(Of(eventData.Context));

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken ct = default)
    {
        Flush(Of(eventData.Context));
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Of(eventData.Context)?.Committing.Clear();

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken ct = default)
    {
        Of(eventData.Context)?.Committing.Clear();
        return Task.CompletedTask;
    }

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => Of(eventData.Context)?.Committing.Clear();

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken ct = default)
    {
        Of(eventData.Context)?.Committing.Clear();
        return Task.CompletedTask;
    }

    private static Pending? Of(DbContext? context) => context is null ? null : TaskHubDbContext.UseState<Pending>(context);

    private static void Stage(DbContext? context)
    {
        if (context is null) return;
        // A save that failed in a later interceptor never told this one (EF runs the interceptors before the try whose
        // failure it reports): what it staged is dropped here, or the context's next save would announce it.
        var saving = Of(context)!.Saving;
        saving.Clear();
        foreach (var entry in TaskHubDbContext.SavingEntries<T>(context))
            if (entry.State == EntityState.Added) saving.Add(entry.Entity);
    }

    private void Saved(DbContext? context)
    {
        if (Of(context) is not { } pending) return;
        pending.Committing.AddRange(pending.Saving);
        pending.Saving.Clear();
        if (context!.Database.CurrentTransaction is not null) return; // flushed when it commits
        if (pending.Committing.Count == 0) return;
        if (InlineTransaction.Of(context) is { } inline)
        {
            pending.Owner = this;
            inline.OnEnd(pending);
        }
        else Flush(pending);
    }

    private void Flush(Pending? pending)
    {
        if (pending is null || pending.Committing.Count == 0) return;
        try { Committed(pending.Committing); }
        finally { pending.Committing.Clear(); }
    }
}
