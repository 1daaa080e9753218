using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>
/// Contexts are pooled: one instance serves many requests in turn, and its interceptors are singletons that keep what
/// one use tracks on the context (<see cref="TaskHubDbContext.UseState{T}"/>). What a use leaves behind must not reach
/// the next one.
/// </summary>
public abstract class ContextPoolingTests(TaskHubApplication app)
{
    [Fact]
    public async Task AContextIsUsedAgainByALaterScope()
    {
        TaskHubDbContext used;
        await using (var scope = app.Services.CreateAsyncScope()) used = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        Assert.NotNull(await RentAgainAsync(used));
    }

    /// <summary>A write whose transaction ended without a commit (disposed: no rollback event reaches the interceptors)
    /// left its board event waiting for a commit; the next use of the same context commits a write of its own. Only that
    /// write is pushed — the rolled-back one, with the same seq, never reaches a viewer.</summary>
    [Fact]
    public async Task AnEventOfAnUncommittedWriteIsNotPushedByTheNextUseOfItsContext()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var live = await LiveBoard.ConnectAsync(app, ada);
        await live.JoinAsync(board, 0);

        TaskHubDbContext used;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            used = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            await using var tx = await used.BeginWriteAsync(CancellationToken.None);
            await BoardWrites.CreateTaskAsync(used, board, ada.Id, "rolled back"); // saved in the caller's transaction, which is never committed
        }

        var again = await RentAgainAsync(used);
        Assert.NotNull(again);
        await using (again.Value.Scope)
            await BoardWrites.CreateTaskAsync(again.Value.Db, board, ada.Id, "real"); // its own transaction, committed

        Assert.True(await LiveBoard.EventuallyAsync(() => live.ReceivedLive.Any(e => e.Seq == 1 && e.Task?.Title == "real")));
        Assert.DoesNotContain(live.ReceivedLive, e => e.Task?.Title == "rolled back");
        Assert.Equal(1, await ada.LastSeqAsync(board));
    }


    /// <summary>A scope that was handed <paramref name="context"/> again (the pool hands its contexts out in turn; the app's
    /// background work rents some meanwhile), or null if none was within a bound far above the pool's traffic here.</summary>
    private async Task<(AsyncServiceScope Scope, TaskHubDbContext Db)?> RentAgainAsync(TaskHubDbContext context)
    {
        for (var i = 0; i < 5_000; i++)
        {
            var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            if (ReferenceEquals(db, context)) return (scope, db);
            await scope.DisposeAsync();
        }
        return null;
    }
}

public sealed class ContextPoolingTestsOnSqlite(SqliteApplication app) : ContextPoolingTests(app), IClassFixture<SqliteApplication>;

public sealed class ContextPoolingTestsOnMariaDb(MariaDbApplication app) : ContextPoolingTests(app), IClassFixture<MariaDbApplication>;
