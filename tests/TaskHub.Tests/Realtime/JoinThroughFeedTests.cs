using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// A join goes live at its board line's place (<see cref="BoardEventFeed.JoinAsync"/>): it is sent exactly the events
/// it lacks, from the events the line delivered recently when they cover it, then the head, then live events — so
/// after a reconnect nothing is fetched over REST and nothing arrives twice.
/// </summary>
public sealed class JoinThroughFeedTests(SqliteApplication app) : IClassFixture<SqliteApplication>
{
    [Fact]
    public async Task ARejoinTheLinesRecentEventsCoverReadsNothingFromTheLogAndGetsEachMissedEventOnce()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var watcher = await LiveBoard.ConnectAsync(app, ada);
        await watcher.JoinAsync(board, 0); // the board's line on this replica starts here
        for (var i = 0; i < 5; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}" });
        Assert.True(await LiveBoard.EventuallyAsync(() => watcher.Applied == 5));
        var reads = app.Services.GetRequiredService<CatchUpReads>().Reads;

        await using var rejoining = await LiveBoard.ConnectAsync(app, ada);
        await rejoining.JoinAsync(board, 2);
        await ada.CreateTaskAsync(board, new { title = "after the join" });

        Assert.True(await LiveBoard.EventuallyAsync(() => rejoining.Applied == 6));
        Assert.Equal(reads, app.Services.GetRequiredService<CatchUpReads>().Reads); // served from memory
        Assert.Equal([3L, 4L, 5L, 6L], rejoining.ReceivedLive.Select(e => e.Seq));
        Assert.Equal([5L], rejoining.Heads.Select(h => h.Seq));
        Assert.Equal(0, rejoining.FetchedFromRest);
    }

    [Fact]
    public async Task JoinsDuringConcurrentWritesGetEverySeqOnceInOrderWithoutAFetch()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var watcher = await LiveBoard.ConnectAsync(app, ada);
        await watcher.JoinAsync(board, 0);
        for (var i = 0; i < 10; i++) await ada.CreateTaskAsync(board, new { title = $"before {i}" });

        var clients = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => LiveBoard.ConnectAsync(app, ada)));
        try
        {
            var writes = Task.WhenAll(Enumerable.Range(0, 30).Select(i => ada.CreateTaskAsync(board, new { title = $"during {i}" })));
            await Task.WhenAll(clients.Select((c, i) => c.JoinAsync(board, i % 3 == 0 ? 0 : i % 10))); // some from the start (the log), most from recent seqs
            await writes;

            Assert.True(await LiveBoard.EventuallyAsync(() => clients.All(c => c.Applied == 40)));
            foreach (var (c, i) in clients.Select((c, i) => (c, i)))
            {
                var from = i % 3 == 0 ? 0 : i % 10;
                Assert.Equal(Enumerable.Range(from + 1, 40 - from).Select(s => (long)s), c.ReceivedLive.Select(e => e.Seq)); // each once, in order
                Assert.Equal(0, c.FetchedFromRest);
            }
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task AJoinClaimingMoreThanTheBoardHasDoesNotHoldBackTheBoardsEventsForItsOtherViewers()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        for (var i = 0; i < 3; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}" });

        // The board's first viewer on this replica names a seq the board never reached (a forged client, or one that
        // kept its seq across a database restore): the replica's line must still start at the board's real head.
        await using var forged = await LiveBoard.ConnectAsync(app, ada);
        await forged.InvokeJoinAsync(board, 1_000_000);
        await using var watcher = await LiveBoard.ConnectAsync(app, ada);
        await watcher.JoinAsync(board, 3);
        await ada.CreateTaskAsync(board, new { title = "after the joins" });

        Assert.True(await LiveBoard.EventuallyAsync(() => watcher.Applied == 4));
        Assert.Equal([4L], watcher.ReceivedLive.Select(e => e.Seq)); // live, once
        Assert.Equal([3L], watcher.Heads.Select(h => h.Seq));
        Assert.Equal(0, watcher.FetchedFromRest);
    }
}
