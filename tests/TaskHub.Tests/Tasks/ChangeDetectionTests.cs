using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>
/// A save compares its tracked entities with their snapshots once, in its first interceptor (<see cref="DetectChangesOnce"/>),
/// and the interceptors after it read the entries without comparing again (<see cref="TaskHubDbContext.SavingEntries{T}"/>);
/// EF compares once more after them, so what they change is saved.
/// </summary>
public abstract class ChangeDetectionTests(TaskHubApplication app)
{
    [Fact]
    public async Task ATaskCreationDetectsItsChangesTwiceAndIsStillPushedLive()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await using var live = await LiveBoard.ConnectAsync(app, ada);
        await live.JoinAsync(board, 0);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var detections = 0;
        EventHandler<DetectChangesEventArgs> count = (_, _) => detections++;
        db.ChangeTracker.DetectingAllChanges += count;
        try
        {
            await BoardWrites.CreateTaskAsync(db, board, ada.Id, "detected once for the interceptors", assignee: bob.Id); // (so someone is told)
        }
        finally { db.ChangeTracker.DetectingAllChanges -= count; } // (a pooled context: the next use must not count here)

        // The first interceptor's, and EF's after them all. Before, each interceptor that read the entries (times
        // stamped, outbox rows, the live push, the outbox's wake-up) compared every entity again: five in all.
        Assert.Equal(2, detections);
        // The interceptors still found the event: its outbox rows were written (bob's inbox and email), and it is pushed live.
        var ofTheEvent = $":{board:N}:1";
        Assert.NotEmpty(await db.Set<OutboxMessage>().Where(m => m.Key.EndsWith(ofTheEvent)).Select(m => m.Kind).ToListAsync());
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

    /// <summary>A save that fails in an interceptor after the live push's (before EF's own try, so no interceptor hears
    /// that it failed) left its event staged; the context's next save, of another write, pushed both. Only the second
    /// is pushed.</summary>
    [Fact]
    public async Task AnEventOfASaveThatFailedInALaterInterceptorIsNotPushedByTheNextSaveOfItsContext()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var live = await LiveBoard.ConnectAsync(app, ada);
        await live.JoinAsync(board, 0);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        await Assert.ThrowsAsync<InvalidOperationException>(() => BoardWrites.CreateTaskAsync(db, board, ada.Id, FailingSaveInterceptor.Title));
        db.ChangeTracker.Clear(); // (as a job that goes on to its next item does)
        await BoardWrites.CreateTaskAsync(db, board, ada.Id, "saved after the failure");

        Assert.True(await LiveBoard.EventuallyAsync(() => live.ReceivedLive.Any(e => e.Task?.Title == "saved after the failure")));
        Assert.DoesNotContain(live.ReceivedLive, e => e.Task?.Title == FailingSaveInterceptor.Title);
        Assert.Equal(1, await ada.LastSeqAsync(board));
    }
}

/// <summary>Fails a save that adds a task titled <see cref="Title"/>, in the last interceptor.</summary>
public sealed class FailingSaveInterceptor : SaveChangesInterceptor
{
    public const string Title = "fails in an interceptor";

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default) =>
        // (read without detecting again: the first test counts the detections)
        TaskHubDbContext.SavingEntries<TaskItem>(eventData.Context!).Any(e => e.State == EntityState.Added && e.Entity.Title == Title)
            ? throw new InvalidOperationException("an interceptor failed")
            : ValueTask.FromResult(result);

    /// <summary>Registers it after every interceptor of the app's own.</summary>
    public static void Register(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services => services.AddSingleton<IInterceptor, FailingSaveInterceptor>());
}

public sealed class FailingSaveSqliteApplication : SqliteApplication
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        FailingSaveInterceptor.Register(builder);
    }
}

public sealed class FailingSaveMariaDbApplication : MariaDbApplication
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        FailingSaveInterceptor.Register(builder);
    }
}

public sealed class ChangeDetectionTestsOnSqlite(FailingSaveSqliteApplication app) : ChangeDetectionTests(app), IClassFixture<FailingSaveSqliteApplication>;

public sealed class ChangeDetectionTestsOnMariaDb(FailingSaveMariaDbApplication app) : ChangeDetectionTests(app), IClassFixture<FailingSaveMariaDbApplication>;
