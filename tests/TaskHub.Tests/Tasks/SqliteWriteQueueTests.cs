using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>Embedded mode: a process's writers queue for SQLite's one writer slot instead of polling its busy lock.</summary>
public sealed class SqliteWriteQueueTests(SqliteApplication app) : IClassFixture<SqliteApplication>
{
    [Fact]
    public async Task SixteenConcurrentWritersWaitInTheQueueNotInSqlitesBusyLoopAndAllLandInOrder()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var queue = SqliteWriteQueue.For(db.Database.GetConnectionString());
        Assert.NotNull(queue);

        var (holds0, held0, waits0) = (SqliteWriteQueue.HoldSeconds.Count, SqliteWriteQueue.HoldSeconds.Sum, SqliteWriteQueue.WaitSeconds.Count);
        Task<System.Text.Json.JsonElement>[] creates;
        var holding = System.Diagnostics.Stopwatch.StartNew();
        await using (await db.BeginWriteAsync(CancellationToken.None)) // holds the one writer slot
        {
            creates = Enumerable.Range(0, 16).Select(i => ada.CreateTaskAsync(board, new { title = $"w{i}" })).ToArray();
            // All 16 wait in the queue (the outbox's own saves queue there too, so there may be one more).
            Assert.True(await LiveBoard.EventuallyAsync(() => queue!.Waiting >= 16));
            holding.Stop();
        }
        await Task.WhenAll(creates);

        // The slot's metrics saw this transaction's hold (at least as long as it was measured here) and the 16 writes'.
        Assert.True(SqliteWriteQueue.HoldSeconds.Count >= holds0 + 17);
        Assert.True(SqliteWriteQueue.HoldSeconds.Sum - held0 >= holding.Elapsed.TotalSeconds);
        Assert.True(SqliteWriteQueue.WaitSeconds.Count >= waits0 + 17);

        var events = await ada.Client.GetFromJsonAsync<List<BoardEventDto>>($"/api/boards/{board}/events?after=0", TaskHubJson.Options);
        Assert.Equal(Enumerable.Range(1, 16).Select(i => (long)i), events!.Select(e => e.Seq));
        Assert.Equal(16, events!.Select(e => e.Task!.Title).Distinct().Count());
    }

    /// <summary>WAL with synchronous=NORMAL (README, "Database settings"): a commit is not followed by an fsync.
    /// Every connection the app's contexts open has it, whether fresh or taken again from the driver's pool.</summary>
    [Fact]
    public async Task EveryConnectionRunsWithSynchronousNormalInWalMode()
    {
        for (var i = 0; i < 3; i++)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            await db.Database.OpenConnectionAsync();
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "PRAGMA synchronous";
            Assert.Equal(1L, await command.ExecuteScalarAsync()); // 1 = NORMAL (FULL = 2, SQLite's default)
            command.CommandText = "PRAGMA journal_mode";
            Assert.Equal("wal", await command.ExecuteScalarAsync());
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>No commit checkpoints (it would do so holding the writer slot): the connections have SQLite's automatic
    /// checkpoint off, and a background checkpoint copies what a commit wrote to the log into the database file.</summary>
    [Fact]
    public async Task TheLogIsCheckpointedInTheBackgroundNotByACommit()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "PRAGMA wal_autocheckpoint";
        Assert.Equal(0L, await command.ExecuteScalarAsync());

        var before = new FileInfo(file).Length;
        command.CommandText = "CREATE TABLE checkpoint_probe (x BLOB); " +
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) INSERT INTO checkpoint_probe SELECT randomblob(3000) FROM n;";
        await command.ExecuteNonQueryAsync(); // the insert commits ~1,500 pages: past SQLite's automatic checkpoint threshold (1,000)
        Assert.True(await LiveBoard.EventuallyAsync(() => new FileInfo(file).Length >= before + 1500 * 3000, 10));
        command.CommandText = "DROP TABLE checkpoint_probe";
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>One writer connection (<see cref="SqliteWriter"/>): every queued write runs on it, its statements compiled
    /// once and run again; the context gets a connection of its own back after the write, and a write that fails
    /// leaves neither the writer nor the context stuck.</summary>
    [Fact]
    public async Task QueuedWritesRunOnOneWriterConnectionThatKeepsTheirStatementsCompiled()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.CreateTaskAsync(board, new { title = "first" }); // (the writer is open, the creation's texts compiled)
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var writer = SqliteWriteQueue.For(db.Database.GetConnectionString())!.Writer;
        Assert.NotNull(writer);

        var reused = writer!.Reused;
        for (var i = 0; i < 5; i++) await ada.CreateTaskAsync(board, new { title = $"again {i}" });
        // Each creation runs at least its seq statement and the inserts of the task and its event on the writer, as
        // the first did: compiled then, lent again now (other fixtures' writes use writers of their own).
        Assert.True(writer.Reused - reused >= 15, $"lent {writer.Reused - reused} kept statements in 5 creations");

        await using (var tx = await db.BeginWriteAsync(CancellationToken.None)) // (the writer is this write's alone now)
        {
            Assert.Same(writer.Connection, db.Database.GetDbConnection());
            await using (var command = writer.Connection.CreateCommand())
            {
                command.CommandText = "PRAGMA synchronous";
                Assert.Equal(1L, await command.ExecuteScalarAsync()); // the connection settings every connection gets
            }
            await db.Database.ExecuteSqlAsync($"UPDATE boards SET LastSeq = LastSeq + 100 WHERE Id = {board}");
            await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => db.Database.ExecuteSqlRawAsync("INSERT INTO no_such_table VALUES (1)"));
        } // (not committed: rolled back)
        Assert.NotSame(writer.Connection, db.Database.GetDbConnection());
        Assert.Equal(6, await db.Boards.Where(b => b.Id == board).Select(b => b.LastSeq).SingleAsync()); // the update went with it
        Assert.Equal(6, await db.Tasks.CountAsync(t => t.BoardId == board)); // the context reads on its own connection again
        await ada.CreateTaskAsync(board, new { title = "after the failed one" });
        Assert.Equal(7, await db.Tasks.CountAsync(t => t.BoardId == board));
    }

    /// <summary>The writer connection is not EF's and lacks the SQL functions EF adds for decimal arithmetic and
    /// comparison (<c>ef_*</c>): no entity may have a decimal property while that holds.</summary>
    [Fact]
    public void NoEntityHasADecimalPropertyTheWriterConnectionCouldNotCompare()
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var decimals = db.Model.GetEntityTypes().SelectMany(e => e.GetProperties())
            .Where(p => Nullable.GetUnderlyingType(p.ClrType) == typeof(decimal) || p.ClrType == typeof(decimal))
            .Select(p => $"{p.DeclaringType.DisplayName()}.{p.Name}").ToList();
        Assert.Empty(decimals);
    }
}
