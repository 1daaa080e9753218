using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>Random and malformed hub calls: each fails on its own (an error to the caller), the server and the
/// connection stay healthy, and nobody joins a board they are not on.</summary>
public sealed class HubFuzzTests(HubClockApplication app) : IClassFixture<HubClockApplication>
{
    private static readonly object?[] Values =
    [
        null, "", "not-a-guid", Guid.Empty.ToString(), Guid.NewGuid(), -1L, long.MaxValue, 3.5, true,
        new string('x', 10_000), new[] { 1, 2, 3 }, new Dictionary<string, object> { ["boardId"] = Guid.NewGuid() },
    ];

    private static readonly string[] Methods = ["JoinBoard", "LeaveBoard", "OnConnectedAsync", "Dispose", "NoSuchMethod", "joinboard"];

    [Fact]
    public async Task RandomHubCallsFailAloneAndLetNobodyIntoAnotherBoard()
    {
        var rng = new Random(20261123);
        var ada = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var live = await LiveBoard.ConnectAsync(app, eve);

        var failures = 0;
        for (var i = 0; i < 120; i++)
        {
            var method = Methods[rng.Next(Methods.Length)];
            var args = Enumerable.Range(0, rng.Next(0, 4)).Select(_ => Values[rng.Next(Values.Length)]).ToArray();
            if (method == "JoinBoard" && rng.Next(3) == 0) args = [board, (long?)0]; // Ada's board, which Eve is not on
            try { await live.InvokeRawAsync(method, args); }
            catch (HubException) { failures++; }
            catch (InvalidOperationException) { failures++; } // e.g. the client refusing to serialise an argument
            if (i % 15 == 14) app.HubClock.Advance(TimeSpan.FromSeconds(2)); // stay under the per-connection call limit
        }

        Assert.True(failures > 0);
        // Eve never joined Ada's board: nothing reaches her.
        await ada.CreateTaskAsync(board, new { title = "private" });
        Assert.Empty(live.ReceivedLive);
        // And the connection still works for a legitimate call.
        var own = await eve.CreateBoardAsync();
        app.HubClock.Advance(TimeSpan.FromSeconds(2));
        await live.JoinAsync(own, 0);
        await eve.CreateTaskAsync(own, new { title = "mine" });
        Assert.True(await LiveBoard.EventuallyAsync(() => live.Applied == 1));
        // Pushes go out in commit order, one at a time: "mine" came after "private" would have, so that never came.
        Assert.Equal(["mine"], live.ReceivedLive.Select(e => e.Task!.Title));
    }
}
