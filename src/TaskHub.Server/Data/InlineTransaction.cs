using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using MySqlConnector;

namespace TaskHub.Server.Data;

/// <summary>
/// A MariaDB write transaction that costs no round trip of its own. The driver's begin is one round trip (isolation level
/// and START TRANSACTION) and its commit another; here the begin (<see cref="BeginSql"/>) goes in front of the write's
/// first statement and the COMMIT at the end of the batch that saves the write (<see cref="InlineCommitInterceptor"/>), so
/// a creation is two round trips: the statement that takes the seq, and the save. (A save that updates or deletes rows
/// commits after its batch: one round trip more, still one fewer than the driver's begin and commit.)
/// <para>Neither EF nor the driver knows of it (the context has no <c>CurrentTransaction</c>), so while it is open the
/// context holds its connection, EF's own transaction around a save is off (its START TRANSACTION would commit this one),
/// <see cref="WriteTransactions.BeginWriteAsync"/> refuses, and every way out that does not commit rolls back — pooled
/// connections are not reset here (<see cref="MySqlConnections"/>), so none may go back to the pool inside a transaction:
/// one whose ROLLBACK fails is dropped with its pool. What waits for the commit (the realtime publisher) is told when it
/// ends (<see cref="OnEnd"/>).</para>
/// </summary>
public sealed class InlineTransaction : IContextUseState, IAsyncDisposable
{
    /// <summary>What the transaction's first statement starts with: the isolation level of every write transaction
    /// (<see cref="WriteTransactions.BeginWriteAsync"/>), then the begin.</summary>
    public const string BeginSql = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; ";

    /// <summary>EF's largest batch on MariaDB (set in <see cref="DataExtensions"/>, as Pomelo's default): a save of at most
    /// this many rows, none depending on a key another row of the save gets from the database, is one batch.</summary>
    public const int MaxBatchSize = 42;

    /// <summary>Told when the transaction ends, committed or not.</summary>
    public interface IEndListener
    {
        void Ended(bool committed);
    }

    private TaskHubDbContext? _db;
    private AutoTransactionBehavior _saveTransactions;
    private List<IEndListener>? _listeners;

    /// <summary>Whether the next save's batch may carry the COMMIT (<see cref="SaveAndCommitAsync"/> is saving).</summary>
    internal bool CommitWithSave { get; private set; }

    /// <summary>The batch that carries the COMMIT, once one does.</summary>
    internal DbCommand? CommitIn { get; set; }

    public bool IsOpen => _db is not null;

    /// <summary>The context's open inline transaction, if any.</summary>
    public static InlineTransaction? Of(DbContext context) =>
        context is TaskHubDbContext db && db.UseState<InlineTransaction>() is { IsOpen: true } open ? open : null;

    /// <summary>Opens the context's connection for the transaction; the caller's next statement must start with
    /// <see cref="BeginSql"/>. Dispose it: that rolls back unless <see cref="SaveAndCommitAsync"/> committed.</summary>
    public static async Task<InlineTransaction> BeginAsync(TaskHubDbContext db, CancellationToken ct)
    {
        var transaction = db.UseState<InlineTransaction>();
        if (transaction.IsOpen || db.Database.CurrentTransaction is not null) throw new InvalidOperationException("The context is already in a transaction.");
        await db.Database.OpenConnectionAsync(ct);
        transaction._db = db;
        transaction._saveTransactions = db.Database.AutoTransactionBehavior;
        db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
        return transaction;
    }

    /// <summary>Saves the context's changes and commits: in the save's batch when the save is one batch of inserts, else after it.
    /// Not cancellable: a batch stopped midway (the driver's KILL QUERY) can leave the driver waiting, without a timeout, for
    /// results the server never sends, with the transaction and the board's lock held (<see cref="InlineCommitInterceptor"/>).</summary>
    public async Task SaveAndCommitAsync()
    {
        var db = _db ?? throw new InvalidOperationException("The transaction has ended.");
        CommitWithSave = true;
        try { await db.SaveChangesAsync(CancellationToken.None); }
        finally { CommitWithSave = false; }
        if (CommitIn is null) await db.Database.ExecuteSqlRawAsync("COMMIT", CancellationToken.None);
        await EndAsync(committed: true);
    }

    /// <summary>Rolls back (nothing the transaction wrote stays; the board's lock is released).</summary>
    public Task RollbackAsync() => IsOpen ? EndAsync(committed: false) : Task.CompletedTask;

    public ValueTask DisposeAsync() => new(RollbackAsync());

    /// <summary><paramref name="listener"/> hears when the transaction ends (once per transaction).</summary>
    public void OnEnd(IEndListener listener)
    {
        _listeners ??= [];
        if (!_listeners.Contains(listener)) _listeners.Add(listener);
    }

    private async Task EndAsync(bool committed)
    {
        var db = _db!;
        try
        {
            if (!committed)
            {
                // Not the request's token: a cancelled request must still give the lock and the connection back clean.
                try { await db.Database.ExecuteSqlRawAsync("ROLLBACK", CancellationToken.None); }
                catch (Exception) when (db.Database.GetDbConnection() is MySqlConnection connection)
                {
                    MySqlConnection.ClearPool(connection); // it goes back to no pool: closed when returned, transaction and all
                }
            }
        }
        finally
        {
            _db = null;
            CommitIn = null;
            db.Database.AutoTransactionBehavior = _saveTransactions;
            await db.Database.CloseConnectionAsync();
            if (_listeners is { Count: > 0 } listeners)
            {
                foreach (var listener in listeners) listener.Ended(committed);
                listeners.Clear();
            }
        }
    }

    /// <summary>A use that ends with the transaction still open (its owner did not dispose it) rolls it back here.</summary>
    public void Reset()
    {
        if (_db is { } db)
        {
            try { db.Database.ExecuteSqlRaw("ROLLBACK"); }
            catch (Exception) when (db.Database.GetDbConnection() is MySqlConnection connection) { MySqlConnection.ClearPool(connection); }
            db.Database.AutoTransactionBehavior = _saveTransactions;
            db.Database.CloseConnection();
        }
        _db = null;
        CommitIn = null;
        CommitWithSave = false;
        _listeners?.Clear();
    }
}

/// <summary>
/// Puts an <see cref="InlineTransaction"/>'s COMMIT at the end of the batch that saves it, when that batch is the save's
/// only one (EF splits a save into batches by size and where a row needs a key another row gets from the database), and
/// reads the batch to its end before it is closed, so a failed COMMIT fails the save instead of being dropped with the
/// reader's unread results.
/// <para>The save is never cancelled (<see cref="InlineTransaction.SaveAndCommitAsync"/>). When it was, a statement of the
/// batch could be stopped (the driver's KILL QUERY) and the driver then waited for results the server never sent: in
/// the tenth round while this interceptor read on (bench/results/20261202T2128Z-inline-hang-cause.txt), and after the
/// twelfth round's mend (leave the batch unread) in the driver's own synchronous close of the reader, with no timeout,
/// the transaction open and the board's lock held until the process ended (fourteenth round, found by
/// <c>BoardStreamTests.WritesCancelledAtAnyMomentLeaveNoLockNoGapAndNoOpenTransaction</c>: about one run in six).</para>
/// </summary>
public sealed class InlineCommitInterceptor : DbCommandInterceptor
{
    // Only the asynchronous hooks: the save that may carry the COMMIT is SaveAndCommitAsync's, and EF executes a save's
    // batch as a reader.
    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken ct = default)
    {
        Carry(command, eventData);
        return ValueTask.FromResult(result);
    }

    public override async ValueTask<InterceptionResult> DataReaderClosingAsync(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        if (eventData.Context is not { } context || InlineTransaction.Of(context) is not { } transaction || !ReferenceEquals(transaction.CommitIn, command))
            return result;
        while (await eventData.DataReader.NextResultAsync(CancellationToken.None)) { }
        return result;
    }

    private static void Carry(DbCommand command, CommandEventData eventData)
    {
        if (eventData.CommandSource != CommandSource.SaveChanges || eventData.Context is not { } context) return;
        if (InlineTransaction.Of(context) is not { CommitWithSave: true, CommitIn: null } transaction || !InsertsInOneBatch(context)) return;
        command.CommandText += "\nCOMMIT;";
        transaction.CommitIn = command;
    }

    /// <summary>Whether the save only adds rows, in one batch: at most <see cref="InlineTransaction.MaxBatchSize"/> rows, and
    /// no added row refers to a kind of row the save also adds (EF runs such a save in two batches when the key comes from
    /// the database; this asks less and may say no where one batch would do). Only inserts: an insert that fails is an
    /// error of the server's, which stops the batch before its COMMIT, but an UPDATE or DELETE that finds its row changed
    /// or gone (EF's concurrency check: 0 rows affected) fails only in EF, after the server has run the whole batch — its
    /// COMMIT too. Read while the save runs, after its change detection.</summary>
    private static bool InsertsInOneBatch(DbContext context)
    {
        var tracker = context.ChangeTracker;
        var detect = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false; // (the save has detected the changes: Entries() would do it again)
        try
        {
            var saved = new List<EntityEntry>();
            foreach (var entry in tracker.Entries())
            {
                if (entry.State is EntityState.Modified or EntityState.Deleted) return false;
                if (entry.State is EntityState.Added && saved.Count < InlineTransaction.MaxBatchSize + 1) saved.Add(entry);
            }
            if (saved.Count > InlineTransaction.MaxBatchSize) return false;
            foreach (var dependent in saved)
            {
                foreach (var foreignKey in dependent.Metadata.GetForeignKeys())
                    foreach (var principal in saved)
                        if (foreignKey.PrincipalEntityType.IsAssignableFrom(principal.Metadata)) return false;
            }
            return true;
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = detect;
        }
    }
}
