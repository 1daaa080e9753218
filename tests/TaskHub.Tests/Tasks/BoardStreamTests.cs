using System.Data.Common;
using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>What the one write path sends to the database besides the change itself.</summary>
public abstract class BoardStreamTests(TaskHubApplication app)
{
    /// <summary>Turns MariaDB's inline write transactions (Database:InlineWriteTransactions, on by default) on or off
    /// for one test: the tests of a class run one after another on its own application. (SQLite has none: no effect.)</summary>
    private IDisposable InlineWrites(bool on)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>().Value;
        var was = options.InlineWriteTransactions;
        options.InlineWriteTransactions = on;
        return new Restore(() => options.InlineWriteTransactions = was);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>A write in its own transaction is rolled back whole when its save fails, so EF's savepoint around the
    /// save (two more statements while the board's lock is held; on MariaDB two round trips) is left out; a save in a
    /// caller's transaction keeps it, and the context's setting is what it was.</summary>
    [Fact]
    public async Task AWriteInItsOwnTransactionSetsNoSavepointAndOneInACallersTransactionDoes()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var stream = scope.ServiceProvider.GetRequiredService<BoardStream>();
        using var events = new TransactionEvents();

        await CreateAsync(stream, board, ada.Id, "own transaction");
        Assert.Equal(0, events.Count("Savepoint", db.ContextId));
        Assert.True(db.Database.AutoSavepointsEnabled);

        await using (var tx = await db.BeginWriteAsync(CancellationToken.None))
        {
            await CreateAsync(stream, board, ada.Id, "caller's transaction");
            await tx.CommitAsync();
        }
        Assert.True(events.Count("Savepoint", db.ContextId) > 0); // (the recorder sees savepoints when there are some)
        Assert.Equal(2, await ada.LastSeqAsync(board));
    }

    /// <summary>A plain task creation asks the database nothing before its write: whether the token's session is alive,
    /// whether the caller may edit the board's tasks and where the column ends are answered by the statement that takes
    /// the seq. (Before, the request checked the session and read the membership before the write and the column's last
    /// position inside it: three more round trips, the last while the board's lock was held.) On MariaDB with
    /// Database:InlineWriteTransactions on (the default), the write's transaction takes no round trip of its own either: it begins in
    /// the seq statement's batch and commits in the inserts' (InlineTransaction) — two round trips in all, where the
    /// driver's begin and commit (with it off) make four.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APlainCreationReadsTheMembershipAndTheColumnsEndInTheStatementThatTakesTheSeq(bool inline)
    {
        using var mode = InlineWrites(inline);
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.CreateTaskAsync(board, new { title = "first" }); // (everything compiled and cached)
        var commands = app.Services.GetRequiredService<CommandLog>();
        using var events = new TransactionEvents();
        commands.Clear();

        var created = await ada.CreateTaskAsync(board, new { title = "second" });

        // (On MariaDB the session check ran on the request's context too; on SQLite it has a connection of its own.)
        var texts = commands.OfTheContextThatRan("UPDATE boards SET LastSeq", out var context);
        // The seq statement, then the inserts (on MariaDB one batch: one round trip; SQLite runs each statement alone).
        var why = "the commands were:\n" + string.Join("\n---\n", texts);
        var begin = app.Provider != "sqlite" && inline ? "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; " : "";
        Assert.True(texts[0].StartsWith(begin + "UPDATE boards SET LastSeq", StringComparison.Ordinal) && texts[0].Contains("board_members")
                    && texts[0].Contains("refresh_tokens"), why);
        Assert.True(texts.Skip(1).All(t => t.StartsWith("INSERT", StringComparison.Ordinal)), why);
        if (app.Provider != "sqlite")
        {
            // Two commands: the seq statement and one insert batch. By default between the driver's begin and commit;
            // inline, with no begin of the driver's (a round trip of its own) — that the task is read back below by
            // another connection shows the COMMIT went out with the inserts.
            Assert.True(texts.Count == 2, why);
            Assert.Equal(inline ? 0 : 1, events.Count("TransactionStarted", context));
        }
        // The position read in the seq statement puts the task at the bottom of its column.
        var tasks = (await ada.Client.GetJson($"/api/boards/{board}/tasks")).EnumerateArray().ToList();
        var first = tasks.Single(t => t.GetProperty("title").GetString() == "first").GetProperty("position").GetString();
        Assert.True(string.CompareOrdinal(first, created.GetProperty("position").GetString()) < 0);
    }

    /// <summary>A write whose save fails leaves nothing behind: not its seq, not its rows, not the board's lock nor an
    /// open transaction on a pooled connection (on MariaDB with inline write transactions on, the write's transaction is one
    /// the driver does not know of, InlineTransaction, and the pool does not reset connections); the same context then writes on as usual.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AWriteWhoseSaveFailsRollsBackWholeAndReleasesTheBoard(bool inline)
    {
        using var mode = InlineWrites(inline);
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.CreateTaskAsync(board, new { title = "before" });
        var before = await ada.LastSeqAsync(board);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            var stream = scope.ServiceProvider.GetRequiredService<BoardStream>();
            // A task of this board and one of a board that does not exist: the save's batch fails on the second's foreign key.
            await Assert.ThrowsAsync<DbUpdateException>(() => stream.WriteAsync(board, ada.Id, write =>
            {
                foreach (var on in new[] { board, Guid.CreateVersion7() }) BoardWrites.AddTask(write, on, ada.Id, "lost");
                return Task.FromResult(0);
            }, CancellationToken.None));
            db.ChangeTracker.Clear();

            Assert.Equal(before, await LockedSeqAsync(board)); // nobody holds the board's lock now
            await CreateAsync(stream, board, ada.Id, "after");
        }
        var titles = (await ada.Client.GetJson($"/api/boards/{board}/tasks")).EnumerateArray().Select(t => t.GetProperty("title").GetString()).ToList();
        Assert.Equal(["before", "after"], titles);
        Assert.Equal(before + 1, await ada.LastSeqAsync(board));
    }

    /// <summary>A write cancelled half-way (the request aborted after the seq statement) gives the board back at once:
    /// nothing saved, the seq not taken, the lock released — the rollback is not cancelled with the request.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AWriteCancelledAfterItsSeqStatementGivesTheBoardBack(bool inline)
    {
        using var mode = InlineWrites(inline);
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var before = await ada.LastSeqAsync(board);
        using var cancel = new CancellationTokenSource();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var stream = scope.ServiceProvider.GetRequiredService<BoardStream>();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.WriteAsync(board, ada.Id, write =>
            {
                BoardWrites.AddTask(write, board, ada.Id, "cancelled");
                cancel.Cancel();
                cancel.Token.ThrowIfCancellationRequested();
                return Task.FromResult(0);
            }, cancel.Token));
        }
        Assert.Equal(before, await LockedSeqAsync(board));
        Assert.Empty((await ada.Client.GetJson($"/api/boards/{board}/tasks")).EnumerateArray());
    }

    /// <summary>A save whose UPDATE finds its row changed since it was read (EF's concurrency check: 0 rows affected, seen
    /// by EF only after the server ran the whole batch) commits nothing: not the seq, not the rows added beside it. (On
    /// MariaDB the COMMIT goes into a save's batch only when the save just adds rows: an insert that fails is the server's
    /// error and stops the batch before the COMMIT; this failure is not.)</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ASaveThatFailsItsConcurrencyCheckCommitsNothing(bool inline)
    {
        using var mode = InlineWrites(inline);
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var existing = (await ada.CreateTaskAsync(board, new { title = "existing" })).GetProperty("id").GetGuid();
        var before = await ada.LastSeqAsync(board);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var stream = scope.ServiceProvider.GetRequiredService<BoardStream>();
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => stream.WriteAsync(board, ada.Id, async write =>
            {
                var task = await write.Db.Tasks.SingleAsync(t => t.Id == existing);
                write.Db.Entry(task).Property(t => t.Version).OriginalValue = task.Version + 1; // as if read before another write
                task.Title = "stale edit";
                return BoardWrites.AddTask(write, board, ada.Id, "alongside");
            }, CancellationToken.None));
        }
        Assert.Equal(before, await LockedSeqAsync(board));
        var titles = (await ada.Client.GetJson($"/api/boards/{board}/tasks")).EnumerateArray().Select(t => t.GetProperty("title").GetString()).ToList();
        Assert.Equal(["existing"], titles);
    }

    /// <summary>A write whose request is cancelled while its save runs (here the save waits for another board's lock, held
    /// by another transaction) goes on to its commit: the stream's own statements are not cancelled (a batch the driver
    /// stopped midway with KILL QUERY has left it waiting for results MariaDB never sent, the board's lock held: see
    /// <see cref="WritesCancelledAtAnyMomentLeaveNoLockNoGapAndNoOpenTransaction"/>). Once the other lock is released the
    /// write commits whole and the board is free.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AWriteCancelledWhileItsSaveRunsGoesOnToItsCommitAndGivesTheBoardBack(bool inline)
    {
        using var mode = InlineWrites(inline);
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var before = await ada.LastSeqAsync(board);
        var held = await ada.CreateBoardAsync();
        using var cancel = new CancellationTokenSource();
        await using (var holder = app.Services.CreateAsyncScope())
        await using (var scope = app.Services.CreateAsyncScope())
        {
            // MariaDB: another transaction holds another board's row, for the save's batch to wait on.
            await using var hold = app.Provider == "sqlite" ? null : await HoldBoardRowAsync(holder, held);
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            var stream = scope.ServiceProvider.GetRequiredService<BoardStream>();
            app.Services.GetRequiredService<SaveBatches>().OnNext(db, command =>
            {
                if (hold is null)
                {
                    cancel.Cancel(); // (SQLite: the request goes away as its save is sent)
                    return;
                }
                WaitOnHeldRow(command, held); // the request goes away while the batch waits on it
                cancel.CancelAfter(TimeSpan.FromMilliseconds(100));
            });
            var writing = stream.WriteAsync(board, ada.Id, write => Task.FromResult(BoardWrites.AddTask(write, board, ada.Id, "cancelled")), cancel.Token);
            if (hold is not null)
            {
                // (bounded: the write must reach its save first, which a loaded machine can take longer than a fixed delay for)
                Assert.True(await LiveBoard.EventuallyAsync(() => cancel.IsCancellationRequested));
                await Task.Delay(300);
                Assert.False(writing.IsCompleted); // (it still waits for the held lock, the request cancelled)
                await hold.RollbackAsync();
            }
            var created = await writing.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("cancelled", created.Title);
        }
        Assert.Equal(before + 1, await LockedSeqAsync(board)); // committed, and nobody holds the board
        Assert.Single((await ada.Client.GetJson($"/api/boards/{board}/tasks")).EnumerateArray());
        await ada.CreateTaskAsync(board, new { title = "after" }); // (the board writes on)
        Assert.Equal(before + 2, await ada.LastSeqAsync(board));
    }

    /// <summary>MariaDB: any save (not only the write path's) whose request is cancelled while its batch runs goes on to its
    /// end instead of being stopped midway (MySqlTaskHubDbContext.SaveChangesAsync): here a save whose batch waits for a
    /// row another transaction holds completes once it is released, and leaves its connection out of any transaction.</summary>
    [Fact]
    public async Task AnySaveCancelledWhileItsBatchRunsGoesOnToItsEnd()
    {
        if (app.Provider == "sqlite") return; // (SQLite cannot stop a statement midway: nothing to guard)
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var held = await ada.CreateBoardAsync();
        using var cancel = new CancellationTokenSource();
        await using var holder = app.Services.CreateAsyncScope();
        await using var scope = app.Services.CreateAsyncScope();
        await using var hold = await HoldBoardRowAsync(holder, held);
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        await db.Database.OpenConnectionAsync(); // (the save and the check below on one connection)
        var task = new TaskItem { BoardId = board, Title = "saved anyway", CreatedById = ada.Id, Position = Positions.Between(null, null) };
        TaskChanges.SetStatus(task, TaskState.Todo, DateTime.UtcNow);
        db.Tasks.Add(task);
        app.Services.GetRequiredService<SaveBatches>().OnNext(db, command =>
        {
            WaitOnHeldRow(command, held); // the request goes away while the batch waits on it
            cancel.CancelAfter(TimeSpan.FromMilliseconds(100));
        });
        var saving = db.SaveChangesAsync(cancel.Token);
        Assert.True(await LiveBoard.EventuallyAsync(() => cancel.IsCancellationRequested));
        await Task.Delay(300);
        Assert.False(saving.IsCompleted); // (it still waits for the held row, the request cancelled)
        await hold.RollbackAsync();
        Assert.Equal(1, await saving.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await InTransactionAsync(db));
        Assert.True(await db.Tasks.AnyAsync(t => t.Id == task.Id));
    }

    /// <summary>MariaDB: a write whose seq statement waits for the board's lock past the command timeout (the driver then
    /// stops it with KILL QUERY, as a cancellation would) fails with the timeout and leaves nothing behind: no open
    /// transaction on its connection, the lock free once its holder ends, and the board writes on.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AWriteThatWaitsForTheBoardPastTheCommandTimeoutFailsCleanly(bool inline)
    {
        if (app.Provider == "sqlite") return; // (SQLite's writers queue in the process, not on a row lock)
        using var mode = InlineWrites(inline);
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var before = await ada.LastSeqAsync(board);
        await using (var holder = app.Services.CreateAsyncScope())
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await using var hold = await HoldBoardRowAsync(holder, board);
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            db.Database.SetCommandTimeout(TimeSpan.FromSeconds(2));
            var stream = scope.ServiceProvider.GetRequiredService<BoardStream>();
            var writing = stream.WriteAsync(board, ada.Id, write => Task.FromResult(BoardWrites.AddTask(write, board, ada.Id, "timed out")), CancellationToken.None);
            await Assert.ThrowsAnyAsync<Exception>(() => writing.WaitAsync(TimeSpan.FromSeconds(15)));
            Assert.False(writing.Exception is null); // (failed, not the 15 s bound)
            await hold.RollbackAsync();
            await db.Database.OpenConnectionAsync();
            Assert.Equal(0, await InTransactionAsync(db));
        }
        Assert.Equal(before, await LockedSeqAsync(board));
        await ada.CreateTaskAsync(board, new { title = "after" }); // (the board writes on)
        Assert.Equal(before + 1, await ada.LastSeqAsync(board));
    }

    /// <summary>Writes cancelled at every moment of their way (while the seq statement waits for the board's lock or runs,
    /// during the change, the save or the commit), four at a time on one board, leave nothing behind: the board's lock is
    /// free, every seq taken belongs to a committed event (a cancelled write gave its seq back), no pooled connection is
    /// left inside a transaction (connections are not reset when taken from the pool: a later use would run in it), and
    /// the board writes on.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WritesCancelledAtAnyMomentLeaveNoLockNoGapAndNoOpenTransaction(bool inline)
    {
        using var mode = InlineWrites(inline);
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var before = await ada.LastSeqAsync(board);
        var random = new Random(16);
        var delays = Enumerable.Range(0, 720).Select(_ => random.Next(0, 9)).ToArray();
        int cancelled = 0, committed = 0;
        // (bounded: a write left waiting on the driver fails the test here instead of hanging it)
        await Parallel.ForEachAsync(delays, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (ms, _) =>
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(ms));
            await using var scope = app.Services.CreateAsyncScope();
            var stream = scope.ServiceProvider.GetRequiredService<BoardStream>();
            try
            {
                await stream.WriteAsync(board, ada.Id, write => Task.FromResult(BoardWrites.AddTask(write, board, ada.Id, "raced")), cancel.Token);
                Interlocked.Increment(ref committed);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
            }
        }).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(cancelled > 0 && committed > 0, $"{cancelled} cancelled, {committed} committed: the delays should give both");

        var last = await LockedSeqAsync(board); // (NOWAIT: fails if any transaction still holds the board)
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            var seqs = await db.BoardEvents.Where(e => e.BoardId == board && e.Seq > before).Select(e => e.Seq).OrderBy(x => x).ToListAsync();
            Assert.Equal(Enumerable.Range(0, (int)(last - before)).Select(i => before + 1 + i), seqs); // no seq without its event
            Assert.True(seqs.Count >= committed, $"{seqs.Count} events, {committed} writes reported committed");
        }
        if (app.Provider != "sqlite")
        {
            // Every pooled connection at once (each use holds its own): none may still be in a transaction.
            var inTransaction = await Task.WhenAll(Enumerable.Range(0, 24).Select(async _ =>
            {
                await using var scope = app.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
                await db.Database.OpenConnectionAsync();
                var open = await InTransactionAsync(db);
                await Task.Delay(200); // (held, so the others take other connections)
                await db.Database.CloseConnectionAsync();
                return open;
            }));
            Assert.All(inTransaction, open => Assert.Equal(0, open));
        }
        await ada.CreateTaskAsync(board, new { title = "after" }); // (the board writes on)
        Assert.Equal(last + 1, await ada.LastSeqAsync(board));
    }

    /// <summary>MariaDB: a transaction of <paramref name="scope"/>'s context holding <paramref name="board"/>'s row lock
    /// (<c>FOR UPDATE</c>) until it is rolled back or disposed.</summary>
    internal static async Task<IDbContextTransaction> HoldBoardRowAsync(AsyncServiceScope scope, Guid board)
    {
        var holding = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var hold = await holding.BeginWriteAsync(CancellationToken.None);
        await holding.Database.SqlQueryRaw<long>("SELECT LastSeq AS Value FROM boards WHERE Id = {0} FOR UPDATE", board).ToListAsync();
        return hold;
    }

    /// <summary>Puts a statement that waits for <paramref name="held"/>'s row lock after the batch's first statement (as an
    /// INSERT waiting on a lock would).</summary>
    private static void WaitOnHeldRow(DbCommand command, Guid held) =>
        command.CommandText = command.CommandText.Insert(command.CommandText.IndexOf(';', StringComparison.Ordinal) + 1,
            $"\nUPDATE boards SET LastSeq = LastSeq WHERE Id = '{held}';");

    /// <summary>MariaDB: whether the context's connection is inside a transaction (1) or not (0).</summary>
    private static async Task<long> InTransactionAsync(TaskHubDbContext db) =>
        (await db.Database.SqlQueryRaw<long>("SELECT @@in_transaction AS Value").ToListAsync()).Single();

    /// <summary>The board's last seq, read under its lock without waiting for it (MariaDB: NOWAIT fails at once if
    /// anybody holds it).</summary>
    private async Task<long> LockedSeqAsync(Guid board)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        await using var tx = await db.BeginWriteAsync(CancellationToken.None);
        var locked = app.Provider == "sqlite" ? "SELECT LastSeq AS Value FROM boards WHERE Id = {0}" : "SELECT LastSeq AS Value FROM boards WHERE Id = {0} FOR UPDATE NOWAIT";
        return (await db.Database.SqlQueryRaw<long>(locked, board).ToListAsync()).Single();
    }

    /// <summary>Creations on many boards at once, each write on a connection of its own, all land and take one seq each:
    /// the seq statement's command text is built once, but each execution runs a command of its own (EF's command keeps
    /// the reader of its last run; one shared command made two writes' readers collide, 500s on MariaDB, where writes run
    /// at once; SQLite's write queue runs them one after another).</summary>
    [Fact]
    public async Task ConcurrentCreationsOnManyBoardsAllLandTakingOneSeqEach()
    {
        var ada = await app.SignUpAsync();
        var boards = new List<Guid>();
        for (var i = 0; i < 8; i++) boards.Add(await ada.CreateBoardAsync($"Board {i}"));
        var before = new Dictionary<Guid, long>();
        foreach (var b in boards) before[b] = await ada.LastSeqAsync(b);

        var creations = Enumerable.Range(0, 48).Select(i => ada.Client.PostAsJsonAsync($"/api/boards/{boards[i % boards.Count]}/tasks", new { title = $"t{i}" }));
        var answers = await Task.WhenAll(creations);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.StatusCode));
        foreach (var b in boards) Assert.Equal(before[b] + 6, await ada.LastSeqAsync(b));
    }

    /// <summary>A creation the seq statement refuses (a viewer, someone not on the board, a board that does not exist)
    /// takes no seq and says why as before: 403 for a viewer, 404 otherwise; the next creation gets the next seq.</summary>
    [Fact]
    public async Task ACreationTheSeqStatementRefusesTakesNoSeqAndSaysWhy()
    {
        var ada = await app.SignUpAsync();
        var vic = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, vic, "viewer");
        var before = await ada.LastSeqAsync(board);

        await (await vic.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "viewer" })).AssertProblem(HttpStatusCode.Forbidden);
        await (await eve.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "outsider" })).AssertProblem(HttpStatusCode.NotFound);
        await (await ada.Client.PostAsJsonAsync($"/api/boards/{Guid.CreateVersion7()}/tasks", new { title = "nowhere" })).AssertProblem(HttpStatusCode.NotFound);
        Assert.Equal(before, await ada.LastSeqAsync(board));

        await ada.AddMemberAsync(board, eve, "member");
        var created = await eve.CreateTaskAsync(board, new { title = "member now" });
        Assert.Equal(before + 1, await ada.LastSeqAsync(board));
        Assert.Equal("member now", created.GetProperty("title").GetString());
    }

    /// <summary>The session check a creation leaves to its write still ends a revoked session's token: after log-out a
    /// plain creation, one naming people and one naming an unknown label all hear 401 (not 201, 400 or 404), take no seq
    /// and create nothing; a token of the user's other, live session creates as before.</summary>
    [Fact]
    public async Task ACreationWithTheTokenOfARevokedSessionIs401AndWritesNothing()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob, "member");
        var elsewhere = await app.LogInAsync(ada); // another session of ada's
        await ada.CreateTaskAsync(board, new { title = "before" });
        var before = await bob.LastSeqAsync(board);
        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = ada.RefreshToken })).StatusCode);

        foreach (var body in new object[] { new { title = "plain" }, new { title = "for bob", assigneeId = bob.Id }, new { title = "labelled", labelIds = new[] { Guid.NewGuid() } } })
        {
            var response = await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", body);
            await response.AssertProblem(HttpStatusCode.Unauthorized);
            Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString());
        }
        Assert.Equal(before, await bob.LastSeqAsync(board));
        var titles = (await bob.Client.GetJson($"/api/boards/{board}/tasks")).EnumerateArray().Select(t => t.GetProperty("title").GetString()).ToList();
        Assert.Equal(["before"], titles);

        var created = await elsewhere.CreateTaskAsync(board, new { title = "other session" });
        Assert.Equal("other session", created.GetProperty("title").GetString());
        Assert.Equal(before + 1, await bob.LastSeqAsync(board));
    }

    /// <summary>The task endpoints after creation (edit, move, archive, unarchive, delete) check the token's session in
    /// their first read, the one that finds the caller's membership of the task's board: one statement asks both, and
    /// no check of its own runs before it (on MariaDB it was a round trip of its own on the request's context).</summary>
    [Fact]
    public async Task TheTaskEndpointsCheckTheSessionInTheirFirstRead()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var task = (await ada.CreateTaskAsync(board, new { title = "first" })).GetProperty("id").GetGuid();
        var commands = app.Services.GetRequiredService<CommandLog>();
        foreach (var (name, send) in TaskWrites(ada.Client, task, archived: task)) // (archived by the one before it)
        {
            commands.Clear();
            var response = await send();
            Assert.True(response.IsSuccessStatusCode, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var texts = commands.OfTheContextThatRan("UPDATE boards SET LastSeq");
            var why = $"{name}: the commands were:\n" + string.Join("\n---\n", texts);
            Assert.True(texts[0].Contains("refresh_tokens") && texts[0].Contains("board_members"), why);
            Assert.Single(texts, t => t.Contains("refresh_tokens"));
        }
    }

    /// <summary>What the authentication answered before, the task endpoints that check the session themselves answer
    /// too: with the token of a session logged out, editing, moving, archiving, unarchiving and deleting a task, and
    /// editing one that does not exist, are all 401 (not 200, 204 or 404) and change nothing; the user's other, live
    /// session edits as before.</summary>
    [Fact]
    public async Task TaskEndpointsWithTheTokenOfARevokedSessionAre401AndChangeNothing()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob, "member");
        var elsewhere = await app.LogInAsync(ada);
        var task = (await ada.CreateTaskAsync(board, new { title = "before" })).GetProperty("id").GetGuid();
        var archived = (await ada.CreateTaskAsync(board, new { title = "archived" })).GetProperty("id").GetGuid();
        (await ada.Client.PostAsync($"/api/tasks/{archived}/archive", null)).EnsureSuccessStatusCode();
        var before = await bob.LastSeqAsync(board);
        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = ada.RefreshToken })).StatusCode);

        foreach (var (_, send) in TaskWrites(ada.Client, task, archived).Append(("edit elsewhere", () => ada.Client.PatchAsJsonAsync($"/api/tasks/{Guid.CreateVersion7()}", new { title = "nowhere" }))))
        {
            var response = await send();
            await response.AssertProblem(HttpStatusCode.Unauthorized);
            Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString());
        }
        Assert.Equal(before, await bob.LastSeqAsync(board));
        var seen = await bob.Client.GetJson($"/api/tasks/{task}");
        Assert.Equal(("before", "todo", JsonValueKind.Null), (seen.GetProperty("title").GetString(), seen.GetProperty("status").GetString(), seen.GetProperty("archivedAt").ValueKind));
        Assert.NotEqual(JsonValueKind.Null, (await bob.Client.GetJson($"/api/tasks/{archived}")).GetProperty("archivedAt").ValueKind);

        var edited = await elsewhere.Client.PatchAsJsonAsync($"/api/tasks/{task}", new { title = "other session" });
        edited.EnsureSuccessStatusCode();
        Assert.Equal(before + 1, await bob.LastSeqAsync(board));
    }

    /// <summary>The task writes that check the session in their first read, in an order that works on one task: edit,
    /// move, archive <paramref name="task"/>, unarchive <paramref name="archived"/>, delete <paramref name="task"/>.</summary>
    private static (string Name, Func<Task<HttpResponseMessage>> Send)[] TaskWrites(HttpClient client, Guid task, Guid archived) =>
    [
        ("edit", () => client.PatchAsJsonAsync($"/api/tasks/{task}", new { title = "edited" })),
        ("move", () => client.PostAsJsonAsync($"/api/tasks/{task}/move", new { status = "in_progress" })),
        ("archive", () => client.PostAsync($"/api/tasks/{task}/archive", null)),
        ("unarchive", () => client.PostAsync($"/api/tasks/{archived}/unarchive", null)),
        ("delete", () => client.DeleteAsync($"/api/tasks/{task}")),
    ];

    private static Task<TaskDto> CreateAsync(BoardStream stream, Guid board, Guid actor, string title) =>
        BoardWrites.CreateTaskAsync(stream, board, actor, title);

    /// <summary>Records EF's transaction events (started, committed, savepoints created, released, rolled back to…) by
    /// the context use they came from; <see cref="Count"/> those of one.</summary>
    private sealed class TransactionEvents : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly List<IDisposable> _subscriptions = [];
        private readonly List<(DbContextId Context, string Name)> _events = [];

        public TransactionEvents() => _subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(this));

        /// <summary>How many events of <paramref name="context"/> have <paramref name="kind"/> in their name ("Savepoint", "TransactionStarted").</summary>
        public int Count(string kind, DbContextId context)
        {
            lock (_events) return _events.Count(e => e.Context == context && e.Name.Contains(kind, StringComparison.Ordinal));
        }

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == DbLoggerCategory.Name)
                lock (_subscriptions) _subscriptions.Add(listener.Subscribe(this));
        }

        public void OnNext(KeyValuePair<string, object?> e)
        {
            if (e.Value is TransactionEventData { Context: { } context }) lock (_events) _events.Add((context.ContextId, e.Key));
        }

        public void OnCompleted() { }
        public void OnError(Exception error) { }

        public void Dispose()
        {
            lock (_subscriptions) foreach (var s in _subscriptions) s.Dispose();
        }
    }
}

/// <summary>Every command the app's contexts run, with the context use (pooled contexts are reused: its id and lease) that ran it.</summary>
public sealed class CommandLog : DbCommandInterceptor
{
    private readonly List<(DbContextId Context, string Text)> _commands = [];

    /// <summary>Every context of the app logs its commands here (the app joins every registered interceptor to its contexts).</summary>
    public static void Register(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(s => s.AddSingleton<CommandLog>().AddSingleton<IInterceptor>(sp => sp.GetRequiredService<CommandLog>())
            .AddSingleton<SaveBatches>().AddSingleton<IInterceptor>(sp => sp.GetRequiredService<SaveBatches>()));

    public void Clear()
    {
        lock (_commands) _commands.Clear();
    }

    /// <summary>The commands of the one context use that ran a command containing <paramref name="part"/> (on MariaDB
    /// a board write's seq statement begins with its transaction's begin).</summary>
    public List<string> OfTheContextThatRan(string part) => OfTheContextThatRan(part, out _);

    /// <inheritdoc cref="OfTheContextThatRan(string)"/>
    public List<string> OfTheContextThatRan(string part, out DbContextId context)
    {
        lock (_commands)
        {
            var ran = _commands.Where(c => c.Text.Contains(part, StringComparison.Ordinal)).ToList();
            Assert.True(ran.Count == 1, $"{ran.Count} commands contain {part}; there were:\n" + string.Join("\n---\n", _commands.Select(c => c.Text)));
            var id = context = ran[0].Context;
            return _commands.Where(c => c.Context == id).Select(c => c.Text).ToList();
        }
    }

    /// <summary>Every command EF builds, once, whatever way it is then executed (reader, non-query, scalar; sync or async).</summary>
    public override DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
    {
        if (eventData.Context is { } context) lock (_commands) _commands.Add((context.ContextId, result.CommandText.TrimStart()));
        return result;
    }
}

/// <summary>Lets a test change the next save batch a context of the app sends, as it is sent (asynchronous saves).</summary>
public sealed class SaveBatches : DbCommandInterceptor
{
    private (DbContext Context, Action<DbCommand> Change)? _next;

    /// <summary><paramref name="change"/> the next save batch <paramref name="context"/> sends.</summary>
    public void OnNext(DbContext context, Action<DbCommand> change)
    {
        lock (this) _next = (context, change);
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken ct = default)
    {
        Action<DbCommand>? change = null;
        lock (this)
            if (eventData.CommandSource == CommandSource.SaveChanges && _next is { } next && ReferenceEquals(next.Context, eventData.Context))
                (change, _next) = (next.Change, null);
        change?.Invoke(command);
        return ValueTask.FromResult(result);
    }
}

/// <summary>Fixtures whose contexts log their commands (<see cref="CommandLog"/>).</summary>
public sealed class CommandLogSqliteApplication : SqliteApplication
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        CommandLog.Register(builder);
    }
}

public sealed class CommandLogMariaDbApplication : MariaDbApplication
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        CommandLog.Register(builder);
    }
}

/// <summary>A task creation straight through <see cref="BoardStream"/> (what the endpoint does, without the request).</summary>
internal static class BoardWrites
{
    public static Task<TaskDto> CreateTaskAsync(BoardStream stream, Guid board, Guid actor, string title) =>
        stream.WriteAsync(board, actor, write => Task.FromResult(AddTask(write, board, actor, title)), CancellationToken.None);

    /// <summary>The same through a stream of its own on <paramref name="db"/> (a context the caller rented), with the
    /// default settings.</summary>
    public static Task<TaskDto> CreateTaskAsync(TaskHubDbContext db, Guid board, Guid actor, string title, Guid? assignee = null) =>
        new BoardStream(db, TimeProvider.System, new BoardProbes([]), Microsoft.Extensions.Options.Options.Create(new DatabaseOptions()))
            .WriteAsync(board, actor, write => Task.FromResult(AddTask(write, board, actor, title, assignee)), CancellationToken.None);

    /// <summary>Adds a task on <paramref name="board"/> (a todo at the top of its column) in <paramref name="write"/> and
    /// records its creation.</summary>
    public static TaskDto AddTask(BoardWrite write, Guid board, Guid actor, string title, Guid? assignee = null)
    {
        var task = new TaskItem { BoardId = board, Title = title, CreatedById = actor, AssigneeId = assignee, Position = Positions.Between(null, null) };
        TaskChanges.SetStatus(task, TaskState.Todo, write.Now);
        write.Db.Tasks.Add(task);
        return write.Record(BoardEventTypes.TaskCreated, task, TaskChanges.Describe(task)).Task!;
    }
}

public sealed class BoardStreamTestsOnSqlite(CommandLogSqliteApplication app) : BoardStreamTests(app), IClassFixture<CommandLogSqliteApplication>;
public sealed class BoardStreamTestsOnMariaDb(CommandLogMariaDbApplication app) : BoardStreamTests(app), IClassFixture<CommandLogMariaDbApplication>;
