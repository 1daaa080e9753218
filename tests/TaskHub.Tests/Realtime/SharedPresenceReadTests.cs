using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>Joins of a board whose user was already there share one read of the board's presence.</summary>
public sealed class SharedPresenceReadTests(SqliteApplication app) : IClassFixture<SqliteApplication>
{
    [Fact]
    public async Task ConcurrentReadsOfABoardsPresenceShareOneAndALaterOneReadsAgain()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var live = await LiveBoard.ConnectAsync(app, ada);
        await live.JoinAsync(board, 0);
        var presence = app.Services.GetRequiredService<BoardPresence>();

        var first = presence.CurrentSharedAsync(board);
        var second = presence.CurrentSharedAsync(board);

        Assert.Same(first, second);
        Assert.Equal([ada.Id], (await first).Users.Select(u => u.UserId));
        Assert.NotSame(first, presence.CurrentSharedAsync(board));
    }
}
