using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Tasks;

/// <summary>
/// The one way to change anything on a board. A board is an append-only stream of events: a write opens the
/// transaction (or joins the caller's), takes the board's next seq (an UPDATE of the board row, whose lock queues
/// the board's writers), lets the caller change rows through the DbContext directly, and appends one event per
/// <see cref="BoardWrite.Record"/> with consecutive seqs, in the same SaveChanges as the rows. A write that records
/// nothing (a refusal, or no difference) rolls back and gives its seq back.
/// <para>The event's wire shape is built once, in <see cref="BoardWrite.Record"/>; the live push
/// (Realtime's BoardEventPublisher), the outbox rows (Notifications' OutboxWriter) and the change log take that
/// same object and its one serialisation.</para>
/// <para>The statement that takes the seq also answers the other features' <see cref="BoardProbe"/>s for the board
/// (kept on the context for the save, <see cref="BoardProbeAnswers"/>).</para>
/// </summary>
public sealed class BoardStream(TaskHubDbContext db, TimeProvider clock, BoardProbes probes, IOptions<DatabaseOptions> options)
{
    /// <summary>Runs <paramref name="change"/> as one write to the board and returns what it returns.</summary>
    public async Task<T> WriteAsync<T>(Guid boardId, Guid? actorId, Func<BoardWrite, Task<T>> change, CancellationToken ct) =>
        (await WriteAsync(boardId, actorId, null, change, ct)).Result;

    /// <summary>The one below, asking nothing more: null when the caller is no longer an editor of the board once its lock
    /// was taken (removed or made a viewer meanwhile; the endpoints say which, <c>BoardAccess.EditRefusalAsync</c>).</summary>
    public Task<T?> WriteAsEditorAsync<T>(Guid boardId, Guid editor, Func<BoardWrite, Task<T>> change, CancellationToken ct)
        where T : class? =>
        WriteAsEditorAsync(boardId, editor, null, null, change, ct);

    /// <summary>
    /// Runs <paramref name="change"/> as one write to the board if <paramref name="editor"/> may edit its tasks, checked
    /// by the statement that takes the seq (after the board's lock: no membership read before the write, and none that
    /// can go stale). Returns null when they may not (or the board is gone): nothing ran, and the caller reads the
    /// membership to say why (404 or 403). <paramref name="lastPositionIn"/>: the write also reads that column's last
    /// position (<see cref="BoardWrite.LastPosition"/>) in the same statement. <paramref name="session"/>: the editor's
    /// session (Auth's <c>PendingSessionCheck</c>), which the same statement checks too: refused when it is not alive.
    /// </summary>
    public async Task<T?> WriteAsEditorAsync<T>(Guid boardId, Guid editor, TaskState? lastPositionIn, Guid? session, Func<BoardWrite, Task<T>> change, CancellationToken ct)
        where T : class?
    {
        var (taken, result) = await WriteAsync(boardId, editor, new BoardWriteAsks(editor, lastPositionIn, session), change, ct);
        return taken ? result : null;
    }

    private async Task<(bool Taken, T Result)> WriteAsync<T>(Guid boardId, Guid? actorId, BoardWriteAsks? asks, Func<BoardWrite, Task<T>> change, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested(); // (once begun, the write's own statements run to their end: see WriteInTransactionAsync)
        if (db.Database.CurrentTransaction is not null || InlineTransaction.Of(db) is not null)
            return await WriteInTransactionAsync(boardId, actorId, asks, change, own: null); // the caller's transaction
        if (!db.OnSqlite && options.Value.InlineWriteTransactions)
        {
            // MariaDB, unless turned off: a transaction that begins in the seq statement's batch and commits in the save's (InlineTransaction).
            await using var inline = await InlineTransaction.BeginAsync(db, ct);
            return await WriteInTransactionAsync(boardId, actorId, asks, change, new Inline(inline));
        }
        await using var tx = await db.BeginWriteAsync(ct);
        return await WriteInTransactionAsync(boardId, actorId, asks, change, new Own(db, tx));
    }

    /// <summary>The write, in <paramref name="own"/> transaction or (null) the caller's.
    /// <para>The statements the stream sends itself (the seq statement, the save, the commit, the rollback) are not
    /// cancelled by the request; the change's own reads are (with the token it was given). They are batches of several statements, and the
    /// driver stops a cancelled command with KILL QUERY: a batch stopped midway has left MySqlConnector waiting, with no
    /// timeout, for results MariaDB never sent, with the transaction open and the board's lock held until the process ended
    /// (<c>BoardStreamTests.WritesCancelledAtAnyMomentLeaveNoLockNoGapAndNoOpenTransaction</c>, README "Cancelled
    /// writes"). A write waits for the board's lock behind writes of milliseconds, so a cancelled request's write goes
    /// on to its end (or to the command timeout) instead.</para></summary>
    private async Task<(bool Taken, T Result)> WriteInTransactionAsync<T>(Guid boardId, Guid? actorId, BoardWriteAsks? asks,
        Func<BoardWrite, Task<T>> change, IOwnTransaction? own)
    {
        // The seq statement's time is observed whatever its end (refused, or failed at the command timeout: the worst waits).
        var asked = Stopwatch.GetTimestamp();
        long locked; // (set in the finally below: when the seq statement ended)
        SeqTaken? taken;
        try { taken = await TakeFirstSeqAsync(boardId, asks, own is Inline, handBack: own is null); }
        finally
        {
            locked = Stopwatch.GetTimestamp();
            if (own is not null) BoardWriteMetrics.SeqWait.Observe(Stopwatch.GetElapsedTime(asked, locked).TotalSeconds);
        }
        if (taken is null)
        {
            if (own is not null)
            {
                await own.RollbackAsync(); // (on MariaDB the seq was taken and is handed back with it)
                BoardWriteMetrics.LockHeld.Observe(Stopwatch.GetElapsedTime(locked).TotalSeconds); // (held until that rollback)
            }
            return (false, default!);
        }
        // The lock is the write's own from here to its commit or rollback (a caller's transaction holds it longer: not measured).
        try
        {
            var write = new BoardWrite(db, boardId, actorId, clock.GetUtcNow().UtcDateTime, taken.Seq) { LastPosition = taken.LastPosition };
            var result = await change(write);
            if (write.Count == 0)
            {
                if (own is null)
                {
                    await TakeSeqsAsync(boardId, -1); // the caller's transaction goes on: hand the seq back
                }
                else
                {
                    await own.RollbackAsync();
                    db.ChangeTracker.Clear(); // whatever the change touched before refusing is not saved
                }
                return (true, result);
            }
            if (write.Count > 1) await TakeSeqsAsync(boardId, write.Count - 1);
            if (own is not null)
            {
                var saving = Stopwatch.GetTimestamp();
                await own.SaveAndCommitAsync();
                BoardWriteMetrics.SaveAndCommit.Observe(Stopwatch.GetElapsedTime(saving).TotalSeconds);
            }
            else await db.SaveChangesAsync(CancellationToken.None);
            return (true, result);
        }
        finally
        {
            if (own is not null) BoardWriteMetrics.LockHeld.Observe(Stopwatch.GetElapsedTime(locked).TotalSeconds);
        }
    }

    /// <summary>The transaction a write opened itself.</summary>
    private interface IOwnTransaction
    {
        Task RollbackAsync();
        Task SaveAndCommitAsync();
    }

    /// <summary>EF's transaction (SQLite: the write queue's; MariaDB: the driver's, unless Database:InlineWriteTransactions).</summary>
    private sealed class Own(TaskHubDbContext db, IDbContextTransaction tx) : IOwnTransaction
    {
        public Task RollbackAsync() => tx.RollbackAsync(CancellationToken.None);

        public async Task SaveAndCommitAsync()
        {
            // Our own transaction is rolled back whole if the save fails, so EF's savepoint around the save (SAVEPOINT
            // and RELEASE: two statements while the board's lock is held) buys nothing. (A caller's transaction keeps its savepoints.)
            var savepoints = db.Database.AutoSavepointsEnabled;
            db.Database.AutoSavepointsEnabled = false;
            try { await db.SaveChangesAsync(CancellationToken.None); }
            finally { db.Database.AutoSavepointsEnabled = savepoints; }
            await tx.CommitAsync(CancellationToken.None);
        }
    }

    /// <summary>MariaDB's <see cref="InlineTransaction"/> (it has no savepoints: EF knows of no transaction).</summary>
    private sealed class Inline(InlineTransaction tx) : IOwnTransaction
    {
        public Task RollbackAsync() => tx.RollbackAsync();
        public Task SaveAndCommitAsync() => tx.SaveAndCommitAsync();
    }

    /// <summary>Takes the board's next seq and, in the same statement, the answers of the probes and of
    /// <paramref name="asks"/>; null when the editor or session check of <paramref name="asks"/> refused. On MariaDB the
    /// seq was taken then (the checks run after the lock, see <see cref="BoardProbes"/>): the write's own transaction
    /// rolls it back, and in a caller's transaction (<paramref name="handBack"/>) it is handed back here.
    /// <paramref name="begins"/>: the statement begins the write's <see cref="InlineTransaction"/>. Not cancellable, as every
    /// statement the stream sends itself (<see cref="WriteInTransactionAsync"/>).</summary>
    private async Task<SeqTaken?> TakeFirstSeqAsync(Guid boardId, BoardWriteAsks? asks, bool begins, bool handBack)
    {
        var sql = probes.Take(db.OnSqlite, asks, begins);
        // Run as EF's raw command (its interceptors and logging see it, as ExecuteSqlRaw's), not through its query
        // pipeline: SqlQueryRaw expanded the parameters and generated the SQL again on every call (a FromSql query with
        // parameters is not cached) and shaped the row: with TaskHubDbContext.OnSqlite, 0.93x the CPU per creation
        // (bench/README.md, "Thirteenth round"). {0}…{5} become parameters typed as SqlQueryRaw typed them (by the
        // value's CLR type: the same types on every call).
        var facade = (IRelationalDatabaseFacadeDependencies)((IDatabaseFacadeDependenciesAccessor)db.Database).Dependencies;
        object?[] values = [1, boardId, asks?.Editor ?? Guid.Empty, asks?.LastPositionIn?.ToString() ?? "", asks?.Session ?? Guid.Empty, clock.GetUtcNow().UtcDateTime];
        if (!SeqCommands.TryGetValue(sql, out var command))
        {
            command = new SeqCommand(facade.RawSqlCommandBuilder.Build(sql, values, db.Model), db.GetService<RelationalCommandBuilderDependencies>());
            SeqCommands.AddOrUpdate(sql, command); // (two first writes may both build it: the same command)
        }
        bool exists;
        await using (var reader = await command.New().ExecuteReaderAsync(
            new RelationalCommandParameterObject(facade.RelationalConnection, command.ValuesOf(values), null, db, facade.CommandLogger, CommandSource.FromSqlQuery), CancellationToken.None))
        {
            var rows = reader.DbDataReader;
            // (the statement's columns, in BoardProbes' order: Seq, Flags, LastPosition, Taken; one row when the board exists)
            exists = await rows.ReadAsync(CancellationToken.None);
            if (exists && rows.GetInt64(3) == 1)
            {
                var taken = new SeqTaken(rows.GetInt64(0), rows.GetInt64(1), rows.IsDBNull(2) ? null : rows.GetString(2));
                db.UseState<BoardProbeAnswers>().Set(probes, boardId, taken.Flags);
                return taken;
            }
        }
        if (asks?.Editor is null) throw new GoneMeanwhileException("Board");
        if (exists && !db.OnSqlite && handBack) await TakeSeqsAsync(boardId, -1);
        return null;
    }

    private sealed record SeqTaken(long Seq, long Flags, string? LastPosition);

    /// <summary>Each seq statement's SQL with {0}…{5} made parameters, and the parameters' types, built once: building
    /// them formatted the statement, which names the board once per probe, on every write (a third of the bytes the seq
    /// statement allocated, bench/README.md "Forty-second round"). Keyed by the statement's own string, which belongs to
    /// the application's <see cref="BoardProbes"/> (so to its provider) and lives as long as it does.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<string, SeqCommand> SeqCommands = new();

    private sealed class SeqCommand(RawSqlCommand built, RelationalCommandBuilderDependencies dependencies)
    {
        private readonly string[] _names = [.. built.ParameterValues.Keys]; // (the parameters' names, in the values' order)
        private readonly string _text = built.RelationalCommand.CommandText;
        private readonly IReadOnlyList<IRelationalParameter> _parameters = built.RelationalCommand.Parameters;

        /// <summary>A command of its own for one execution: EF's command keeps the reader of its last execution to reuse,
        /// so one command must not run on two connections at once.</summary>
        public IRelationalCommand New() => new RelationalCommand(dependencies, _text, _parameters);

        public Dictionary<string, object?> ValuesOf(object?[] values)
        {
            var byName = new Dictionary<string, object?>(_names.Length);
            for (var i = 0; i < _names.Length; i++) byName.Add(_names[i], values[i]);
            return byName;
        }
    }

    /// <summary>Moves the board's last seq by <paramref name="count"/> and returns the first seq taken.</summary>
    private async Task<long> TakeSeqsAsync(Guid boardId, int count)
    {
        if (db.OnSqlite)
        {
            // One statement on SQLite (UPDATE … RETURNING; MariaDB has RETURNING only on INSERT and DELETE).
            var taken = await db.Database
                .SqlQuery<long>($"UPDATE boards SET LastSeq = LastSeq + {count} WHERE Id = {boardId} RETURNING LastSeq AS Value")
                .ToListAsync(CancellationToken.None);
            if (taken.Count != 1) throw new GoneMeanwhileException("Board");
            return taken[0] - count + 1;
        }
        // MariaDB: the UPDATE takes the row lock that queues the board's writers, then the value is read back (READ
        // COMMITTED: the SELECT sees this transaction's own update) — both in one batch, so one round trip.
        var last = await db.Database
            .SqlQuery<long>($"UPDATE boards SET LastSeq = LastSeq + {count} WHERE Id = {boardId}; SELECT LastSeq AS Value FROM boards WHERE Id = {boardId}")
            .ToListAsync(CancellationToken.None);
        if (last.Count != 1) throw new GoneMeanwhileException("Board");
        return last[0] - count + 1;
    }
}

/// <summary>One write in progress on a board: what a change sees and how it records what it did.</summary>
public sealed class BoardWrite(TaskHubDbContext db, Guid boardId, Guid? actorId, DateTime now, long firstSeq)
{
    private long _next = firstSeq;

    public TaskHubDbContext Db => db;
    public Guid BoardId => boardId;
    public Guid? ActorId => actorId;
    public DateTime Now => now;
    /// <summary>How many events this write has recorded.</summary>
    public int Count { get; private set; }
    /// <summary>The last position in the column the write asked about (<see cref="BoardWriteAsks.LastPositionIn"/>),
    /// read after the board's lock; null when the column is empty or it asked about none.</summary>
    public string? LastPosition { get; init; }

    /// <summary>
    /// Records what happened to <paramref name="task"/> (added, changed or removed through <see cref="Db"/>) as
    /// the board's next event: a task whose own fields changed gets its next version, creation and change times
    /// are stamped (<see cref="AuditTimestamps"/>), and the event's wire shape is built once and returned.
    /// <paramref name="subject"/> carries the comment, checklist item or label the change concerns; a board-level
    /// change (a label) has no task.
    /// </summary>
    public BoardEventDto Record(string type, TaskItem? task, IReadOnlyList<FieldChange> changes, EventSubject? subject = null)
    {
        TaskDto? summary = null;
        if (task is not null)
        {
            var entry = db.Entry(task);
            entry.DetectChanges();
            if (entry.State == EntityState.Modified && entry.Properties.Any(p => p.IsModified && !TaskItem.Unversioned.Contains(p.Metadata.Name)))
                task.Version++;
            AuditTimestamps.Stamp(entry, now);
            summary = TaskDto.From(task);
        }
        var wire = new BoardEventDto(boardId, _next++, type, summary, actorId, changes, now)
        {
            Comment = subject?.Comment, Item = subject?.Item, Label = subject?.Label, Attachment = subject?.Attachment, Column = subject?.Column, Board = subject?.Board,
        };
        db.BoardEvents.Add(new BoardEvent
        {
            BoardId = boardId,
            Seq = wire.Seq,
            Type = type,
            TaskId = task?.Id ?? Guid.Empty,
            ActorId = actorId,
            TaskJson = JsonSerializer.Serialize(summary, TaskHubJson.Options),
            ChangesJson = JsonSerializer.Serialize(changes, TaskHubJson.Options),
            SubjectJson = subject is null ? null : JsonSerializer.Serialize(subject, TaskHubJson.Options),
            At = now,
            Wire = wire,
        });
        Count++;
        return wire;
    }
}
