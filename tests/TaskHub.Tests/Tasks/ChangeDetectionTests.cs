using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>
/// A save compares its tracked entities with their snapshots once before its interceptors run, and they read the
/// entries without comparing again (<see cref="TaskHubDbContext.SavingEntries{T}"/>); EF compares once more after them,
/// so what they change is saved.
/// </summary>
public abstract class ChangeDetectionTests(TaskHubApplication app)
{
    [Fact]
    public async Task ATaskCreationDetectsItsChangesTwiceAndIsStillPushedLive()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var live = await LiveBoard.ConnectAsync(app, ada);
        await live.JoinAsync(board, 0);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var detections = 0;
        EventHandler<DetectChangesEventArgs> count = (_, _) => detections++;
        db.ChangeTracker.DetectingAllChanges += count;
        try
        {
            await BoardWrites.CreateTaskAsync(db, board, ada.Id, "detected once for the interceptors");
        }
        finally { db.ChangeTracker.DetectingAllChanges -= count; } // (a pooled context: the next use must not count here)

        // The save's own, before its interceptors, and EF's after them. Each interceptor that reads the entries (times
        // stamped, outbox rows, the live push, the outbox's wake-up) compared every entity again: five in all.
        Assert.Equal(2, detections);
        // The interceptors still found the event: it is pushed live.
        Assert.True(await LiveBoard.EventuallyAsync(() => live.ReceivedLive.Any(e => e.Seq == 1 && e.Task?.Title == "detected once for the interceptors")));
    }

    /// <summary>An interceptor changes an entity after the save's first detection (the last-change time of a board
    /// renamed outside a board write): EF's detection after the interceptors saves it.</summary>
    [Fact]
    public async Task ATimeStampedByAnInterceptorAfterTheFirstDetectionIsSaved()
    {
        var ada = await app.SignUpAsync();
        var boardId = await ada.CreateBoardAsync();
        DateTime before;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            var board = await db.Boards.SingleAsync(b => b.Id == boardId);
            before = board.UpdatedAt;
            await Task.Delay(TimeSpan.FromMilliseconds(20)); // (the clock moves on, so the stamp differs)
            board.Name = "renamed outside a board write";
            await db.SaveChangesAsync();
        }
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var board = await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Boards.AsNoTracking().SingleAsync(b => b.Id == boardId);
            Assert.Equal("renamed outside a board write", board.Name);
            Assert.True(board.UpdatedAt > before, $"UpdatedAt {board.UpdatedAt:O} should be after {before:O}");
        }
    }
}

public sealed class ChangeDetectionTestsOnSqlite(SqliteApplication app) : ChangeDetectionTests(app), IClassFixture<SqliteApplication>;

public sealed class ChangeDetectionTestsOnMariaDb(MariaDbApplication app) : ChangeDetectionTests(app), IClassFixture<MariaDbApplication>;
