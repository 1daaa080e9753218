using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>Tests that read process-wide Prometheus series exactly run alone: a parallel test's writes would add to them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMetrics
{
    public const string Name = "process-wide metrics";
}

/// <summary>The board's lock, measured (<see cref="BoardWriteMetrics"/>).</summary>
public abstract class BoardLockMetricsTests(TaskHubApplication app)
{
    /// <summary>A write in its own transaction adds its seq statement's time
    /// to <c>taskhub_board_seq_wait_seconds</c>, the time it then held the lock to <c>taskhub_board_lock_held_seconds</c> and
    /// its save and commit to <c>taskhub_board_write_save_seconds</c>;
    /// a refused write's seq statement and hold are counted too; on MariaDB a write that waited behind another transaction's hold of
    /// the board's row shows that wait in the first, not in the second.</summary>
    [Fact]
    public async Task AWritesWaitForTheBoardsLockAndItsHoldOfItAreMeasured()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var stream = scope.ServiceProvider.GetRequiredService<BoardStream>();
        var (waits, helds, saves) = (BoardWriteMetrics.SeqWait.Count, BoardWriteMetrics.LockHeld.Count, BoardWriteMetrics.SaveAndCommit.Count);
        await BoardWrites.CreateTaskAsync(stream, board, ada.Id, "measured");
        Assert.True(BoardWriteMetrics.SeqWait.Count > waits, "no seq wait observed");
        Assert.True(BoardWriteMetrics.LockHeld.Count > helds, "no lock hold observed");
        Assert.True(BoardWriteMetrics.SaveAndCommit.Count > saves, "no save observed");
        // A creation the seq statement refuses (someone not on the board: 404) waited for the lock, and held it until its
        // rollback: both are counted.
        var stranger = await app.SignUpAsync();
        var (refusedWaits, refusedHelds) = (BoardWriteMetrics.SeqWait.Count, BoardWriteMetrics.LockHeld.Count);
        Assert.Equal(System.Net.HttpStatusCode.NotFound,
            (await stranger.Client.PostAsync($"/api/boards/{board}/tasks", System.Net.Http.Json.JsonContent.Create(new { title = "refused" }))).StatusCode);
        Assert.True(BoardWriteMetrics.SeqWait.Count > refusedWaits, "the refused write's wait was not observed");
        Assert.True(BoardWriteMetrics.LockHeld.Count > refusedHelds, "the refused write's hold was not observed");
        if (app.Provider == "sqlite") return; // (no other transaction can hold the row while a write waits: the writer slot queues them)

        await using var holder = app.Services.CreateAsyncScope();
        var hold = await BoardStreamTests.HoldBoardRowAsync(holder, board);
        var (waited, held) = (BoardWriteMetrics.SeqWait.Sum, BoardWriteMetrics.LockHeld.Sum);
        var writing = BoardWrites.CreateTaskAsync(stream, board, ada.Id, "waits for the lock");
        // The clock starts once MariaDB shows the write's seq statement running, i.e. waiting for the held row (not at a
        // fixed delay, which a loaded machine can spend getting the write to its statement). The process list shows this
        // user's own sessions without the PROCESS privilege.
        await using var watcher = app.Services.CreateAsyncScope();
        var watch = watcher.ServiceProvider.GetRequiredService<TaskHub.Server.Data.TaskHubDbContext>();
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await watch.Database.SqlQueryRaw<long>(
            "SELECT COUNT(*) AS Value FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND = 'Query' AND INFO LIKE {0} AND INFO LIKE '%LastSeq%'",
            $"%{board}%").ToListAsync()).Single() > 0), "the write's seq statement was never seen waiting");
        var holding = Stopwatch.StartNew();
        await Task.Delay(400);
        Assert.False(writing.IsCompleted);
        // Read before the row is let go: the write's seq statement began before it was seen and ends after the rollback,
        // so its wait is at least this long by construction.
        var heldFor = holding.Elapsed;
        await hold.RollbackAsync();
        await writing.WaitAsync(TimeSpan.FromSeconds(10));
        // (the histograms are the process's: this collection runs alone, so no other test's write adds to them meanwhile)
        Assert.True(BoardWriteMetrics.SeqWait.Sum - waited >= heldFor.TotalSeconds,
            $"the wait added {BoardWriteMetrics.SeqWait.Sum - waited:0.000} s; the row was held {heldFor.TotalSeconds:0.000} s");
        Assert.True(BoardWriteMetrics.LockHeld.Sum - held < heldFor.TotalSeconds - 0.1,
            $"the hold added {BoardWriteMetrics.LockHeld.Sum - held:0.000} s: the wait was counted as the write's hold");
    }
}

[Collection(ProcessWideMetrics.Name)]
public sealed class BoardLockMetricsTestsOnSqlite(SqliteApplication app) : BoardLockMetricsTests(app), IClassFixture<SqliteApplication>;

[Collection(ProcessWideMetrics.Name)]
public sealed class BoardLockMetricsTestsOnMariaDb(MariaDbApplication app) : BoardLockMetricsTests(app), IClassFixture<MariaDbApplication>;
