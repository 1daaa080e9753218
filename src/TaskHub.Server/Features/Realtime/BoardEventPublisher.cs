using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Watches every DbContext save: board events added in a transaction (EF's, or MariaDB's <see cref="InlineTransaction"/>)
/// are handed to the <see cref="BoardEventDispatcher"/> only once that transaction commits (or right after the save when
/// there is none), and dropped when it rolls back. So every committed change is pushed, after commit,
/// from whichever code path made it (endpoints, account deletion, jobs), and nothing else is.
/// </summary>
public sealed class BoardEventPublisher(BoardEventDispatcher dispatcher) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    /// <summary>One use of a context: the events its save is writing, and those saved in a transaction not yet
    /// committed. A use that ends with neither done (a transaction disposed uncommitted) drops them. Saved in an
    /// <see cref="InlineTransaction"/> (which EF does not see), they wait for it to end.</summary>
    private sealed class Pending : IContextUseState, InlineTransaction.IEndListener
    {
        public readonly List<BoardEvent> Saving = [];
        public readonly List<BoardEvent> Committing = [];
        public BoardEventPublisher? Publisher;

        public void Ended(bool committed)
        {
            if (committed) Publisher?.Flush(this);
            else Committing.Clear();
        }

        public void Reset()
        {
            Saving.Clear();
            Committing.Clear();
        }
    }

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
        List<BoardEvent>? saving = null;
        foreach (var entry in context.ChangeTracker.Entries<BoardEvent>())
            if (entry.State == EntityState.Added) (saving ??= Of(context)!.Saving).Add(entry.Entity);
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
            pending.Publisher = this;
            inline.OnEnd(pending);
        }
        else Flush(pending);
    }

    private void Flush(Pending? pending)
    {
        if (pending is null || pending.Committing.Count == 0) return;
        foreach (var e in pending.Committing.OrderBy(e => e.Seq)) dispatcher.Enqueue(e);
        pending.Committing.Clear();
    }
}

/// <summary>
/// Hands committed board events to the <see cref="BoardEventFeed"/> (this replica's viewers and, through Redis,
/// every other replica's) in the order they were committed, off the request path. A failed publish (Redis
/// down) is logged and counted, never retried: the other replicas fill the gap from the event log when a later
/// event arrives, and clients catch up when they see a BoardHead beyond what they applied.
/// </summary>
public sealed partial class BoardEventDispatcher(BoardEventFeed feed, ILogger<BoardEventDispatcher> log) : BackgroundService
{
    private readonly Channel<BoardEvent> _queue = Channel.CreateUnbounded<BoardEvent>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(BoardEvent e) => _queue.Writer.TryWrite(e);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var e in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await feed.PublishAsync(e);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RealtimeMetrics.PushFailures.Inc();
                LogPushFailed(log, ex, e.BoardId, e.Seq);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish event {Seq} of board {BoardId} to the other replicas; they fill the gap from the log")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, Guid boardId, long seq);
}
