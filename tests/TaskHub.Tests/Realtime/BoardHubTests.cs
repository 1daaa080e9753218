using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

public abstract class BoardHubTests(TaskHubApplication app)
{
    [Fact]
    public async Task AJoinedBoardReceivesEveryChangeInOrderWithWhoAndWhat()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await using var live = await LiveBoard.ConnectAsync(app, ada);
        await live.JoinAsync(board, 0);

        var id = (await bob.CreateTaskAsync(board, new { title = "x" })).GetProperty("id").GetGuid();
        for (var i = 0; i < 5; i++) await (await bob.Client.Patch($"/api/tasks/{id}", new { title = $"x{i}" })).Json(HttpStatusCode.OK);
        await (await bob.Client.Patch($"/api/tasks/{id}", new { status = "in_progress" })).Json(HttpStatusCode.OK);
        await bob.Client.DeleteAsync($"/api/tasks/{id}");

        Assert.True(await LiveBoard.EventuallyAsync(() => live.ReceivedLive.Count >= 8));
        var received = live.ReceivedLive.ToList();
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), received.Select(e => e.Seq));
        Assert.Equal("TaskCreated", received[0].Type);
        Assert.Equal("TaskDeleted", received[^1].Type);
        var move = received[6];
        Assert.Equal("TaskUpdated", move.Type);
        Assert.Equal(bob.Id, move.ActorId);
        var change = Assert.Single(move.Changes);
        Assert.Equal(("status", "todo", "in_progress"), (change.Field, change.From, change.To));
        Assert.Equal(0, live.FetchedFromRest);
    }

    [Fact]
    public async Task JoiningAfterASeqSendsWhatWasMissedFirstThenTheHead()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        for (var i = 0; i < 4; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}" });
        await using var live = await LiveBoard.ConnectAsync(app, ada);

        await live.JoinAsync(board, 1);

        Assert.True(await LiveBoard.EventuallyAsync(() => !live.Heads.IsEmpty));
        Assert.Equal([2L, 3L, 4L], live.ReceivedLive.Select(e => e.Seq));
        Assert.Equal(4, live.Heads.First().Seq);
        Assert.Equal(4, live.Applied);
    }

    [Fact]
    public async Task AClientThatWasAwayCatchesUpOnEverythingInOrder()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.CreateTaskAsync(board, new { title = "before" });
        await using (var first = await LiveBoard.ConnectAsync(app, ada))
        {
            await first.JoinAsync(board, 0);
            Assert.True(await LiveBoard.EventuallyAsync(() => first.Applied == 1));
        }

        // The laptop sleeps; the board moves on.
        for (var i = 0; i < 30; i++) await ada.CreateTaskAsync(board, new { title = $"while away {i}" });

        await using var back = await LiveBoard.ConnectAsync(app, ada);
        await back.JoinAsync(board, 1);
        Assert.True(await LiveBoard.EventuallyAsync(() => back.Applied == 31));
        Assert.Equal(Enumerable.Range(2, 30).Select(i => (long)i), back.AppliedEvents.Select(e => e.Seq));
    }

    [Fact]
    public async Task ANonMemberIsRefusedAndReceivesNothing()
    {
        var ada = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var live = await LiveBoard.ConnectAsync(app, eve);

        var error = await Assert.ThrowsAsync<HubException>(() => live.InvokeJoinAsync(board, 0));
        Assert.Contains("not found", error.Message);

        await ada.CreateTaskAsync(board, new { title = "secret" });
        Assert.Empty(live.ReceivedLive);

        // An ordered barrier: pushes go out one at a time in commit order, so once a later change on a board Eve
        // is on has reached this connection, "secret" would have reached it before.
        var own = await eve.CreateBoardAsync();
        await live.JoinAsync(own, 0);
        await eve.CreateTaskAsync(own, new { title = "mine" });
        Assert.True(await LiveBoard.EventuallyAsync(() => live.Applied == 1));
        Assert.Equal(["mine"], live.ReceivedLive.Select(e => e.Task!.Title));
    }

    [Fact]
    public async Task AViewerReceivesChangesButCannotMakeThem()
    {
        var ada = await app.SignUpAsync();
        var vic = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, vic, "viewer");
        await using var live = await LiveBoard.ConnectAsync(app, vic);
        await live.JoinAsync(board, 0);

        var id = (await ada.CreateTaskAsync(board, new { title = "x" })).GetProperty("id").GetGuid();
        Assert.True(await LiveBoard.EventuallyAsync(() => live.Applied == 1));

        await (await vic.Client.Patch($"/api/tasks/{id}", new { status = "done" })).AssertProblem(HttpStatusCode.Forbidden);
        Assert.Single(live.ReceivedLive);

        // An ordered barrier: a later change on the same board; once it is here, anything the refused PATCH had
        // pushed would be here too.
        await (await ada.Client.Patch($"/api/tasks/{id}", new { title = "y" })).Json(HttpStatusCode.OK);
        Assert.True(await LiveBoard.EventuallyAsync(() => live.ReceivedLive.Any(e => e.Task!.Title == "y")));
        Assert.Equal([1L, 2L], live.ReceivedLive.Select(e => e.Seq));
        Assert.DoesNotContain(live.ReceivedLive, e => e.ActorId == vic.Id || e.Task!.Status != TaskHub.Server.Features.Tasks.TaskState.Todo);
    }

    [Fact]
    public async Task ARemovedMemberIsToldAndStopsReceivingEvents()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await using var live = await LiveBoard.ConnectAsync(app, bob);
        await live.JoinAsync(board, 0);
        await ada.CreateTaskAsync(board, new { title = "seen" });
        Assert.True(await LiveBoard.EventuallyAsync(() => live.Applied == 1));

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).StatusCode);
        Assert.True(await LiveBoard.EventuallyAsync(() => live.Revoked.Contains(board)));
        await live.AssertNothingMoreOfAsync(board, ada, bob);
    }

    [Fact]
    public async Task ARolledBackWriteIsNeverPushedAndLeavesNoGap()
    {
        var ada = await app.SignUpAsync();
        var stranger = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "x" })).GetProperty("id").GetGuid();
        await using var live = await LiveBoard.ConnectAsync(app, ada);
        await live.JoinAsync(board, 1);

        // Refused inside the transaction (after the seq was taken): rolled back, nothing pushed.
        await (await ada.Client.Patch($"/api/tasks/{id}", new { title = "y", assigneeId = stranger.Id })).AssertFieldError("assigneeId");
        await (await ada.Client.Patch($"/api/tasks/{id}", new { title = "z" })).Json(HttpStatusCode.OK);

        Assert.True(await LiveBoard.EventuallyAsync(() => live.Applied == 2));
        var only = Assert.Single(live.ReceivedLive);
        Assert.Equal(2, only.Seq);
        Assert.Equal("z", only.Task!.Title);
    }

    [Fact]
    public async Task PresenceShowsWhoHasTheBoardOpen()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await using var adaLive = await LiveBoard.ConnectAsync(app, ada);
        await adaLive.JoinAsync(board, 0);
        Assert.True(await LiveBoard.EventuallyAsync(() => adaLive.Presence.Any(p => p.Users.Count == 1)));

        var bobLive = await LiveBoard.ConnectAsync(app, bob);
        await bobLive.JoinAsync(board, 0);
        Assert.True(await LiveBoard.EventuallyAsync(() => adaLive.Presence.LastOrDefault()?.Users.Count == 2));
        Assert.Equal(["Ada", "Bob"], adaLive.Presence.Last().Users.Select(u => u.DisplayName));

        await bobLive.DisposeAsync();
        Assert.True(await LiveBoard.EventuallyAsync(() => adaLive.Presence.LastOrDefault()?.Users.Count == 1));
        Assert.Equal(ada.Id, adaLive.Presence.Last().Users.Single().UserId);
    }

    [Fact]
    public async Task TheTaskListCarriesTheBoardSeqToJoinFrom()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.CreateTaskAsync(board, new { title = "a" });
        await ada.CreateTaskAsync(board, new { title = "b" });

        var response = await ada.Client.GetAsync($"/api/boards/{board}/tasks");

        Assert.Equal("2", response.Headers.GetValues("X-Board-Seq").Single());
    }

    [Fact]
    public async Task AHubConnectionWithoutATokenIsRefused()
    {
        var response = await app.CreateClient().PostAsync("/hubs/board/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

public sealed class BoardHubTestsOnSqlite(SqliteApplication app) : BoardHubTests(app), IClassFixture<SqliteApplication>;

public sealed class BoardHubTestsOnMariaDb(MariaDbApplication app) : BoardHubTests(app), IClassFixture<MariaDbApplication>;
