using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// The end of a session closes its open hub connections at once, before the request that ended it answers
/// (<see cref="HubSessionEnds"/>, thirty-fourth round), by every way a session ends. Before, they stayed open and kept
/// receiving the boards they had joined until the next head tick's sweep (up to 15 s); these fixtures' tick never comes
/// (an hour), so only the immediate close can pass. Another session of the same person stays open.
/// </summary>
public abstract class SessionEndsTests(TaskHubApplication app)
{
    public static TheoryData<string> Ways => ["logout", "revoke", "revoke-others", "password-change", "refresh-replay", "delete-account"];

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task AnEndedSessionsConnectionIsClosedAtOnceAndAnotherSessionStaysOpen(string way)
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await bob.CreateBoardAsync();
        await bob.AddMemberAsync(board, ada);
        var laptop = await app.LogInAsync(ada); // the session that ends (ada's sign-up session is another)
        var phone = ada;
        // Over WebSockets, as the browser: a long-polling client's next poll is a request of its own, checked again.
        await using var onLaptop = await LiveBoard.ConnectAsync(app, laptop, handover: true);
        await onLaptop.JoinAsync(board, 0);
        await using var onPhone = await LiveBoard.ConnectAsync(app, phone, handover: true);
        await onPhone.JoinAsync(board, 0);
        await using var bobs = await LiveBoard.ConnectAsync(app, bob, handover: true);
        await bobs.JoinAsync(board, 0);

        var phoneStays = true;
        switch (way)
        {
            case "logout":
                await (await laptop.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = laptop.RefreshToken })).Json(HttpStatusCode.NoContent);
                break;
            case "revoke":
                var sessions = await (await phone.Client.GetAsync("/api/me/sessions")).Json(HttpStatusCode.OK);
                var other = sessions.EnumerateArray().Single(s => !s.GetProperty("current").GetBoolean()).GetProperty("id").GetGuid();
                await (await phone.Client.DeleteAsync($"/api/me/sessions/{other}")).Json(HttpStatusCode.NoContent);
                break;
            case "revoke-others":
                await (await phone.Client.PostAsync("/api/me/sessions/revoke-others", null)).Json(HttpStatusCode.NoContent);
                break;
            case "password-change":
                await (await phone.Client.Patch("/api/me", new { currentPassword = ada.Password, newPassword = "a-brand-new-pass-4" })).Json(HttpStatusCode.OK);
                break;
            case "refresh-replay": // a refresh token used twice: the whole session (family) ends
                var anon = app.CreateClient();
                await (await anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = laptop.RefreshToken })).Json(HttpStatusCode.OK);
                Assert.Equal(HttpStatusCode.Unauthorized, (await anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = laptop.RefreshToken })).StatusCode);
                break;
            case "delete-account":
                await (await phone.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = ada.Password })).Json(HttpStatusCode.NoContent);
                phoneStays = false;
                break;
        }

        // Aborted before the answer; the client sees its transport close a moment later. 5 s, not the tick's hour.
        Assert.True(await LiveBoard.EventuallyAsync(() => !onLaptop.Connected, 5), $"the ended session's connection is still open ({way})");
        if (phoneStays)
        {
            Assert.True(onPhone.Connected, "the other session's connection was closed");
            await bob.CreateTaskAsync(board, new { title = "after the laptop's session ended" });
            Assert.True(await LiveBoard.EventuallyAsync(() => onPhone.ReceivedLive.Any(e => e.Task!.Title == "after the laptop's session ended")));
        }
        else
        {
            Assert.True(await LiveBoard.EventuallyAsync(() => !onPhone.Connected, 5), "the deleted account's other connection is still open");
        }
        Assert.True(bobs.Connected); // bob's session has nothing to do with it
    }

    /// <summary>A connection whose connect check (the WebSocket upgrade's) passed but which had not registered with the hub
    /// yet (its handshake still to come) when its session ended: the end found no connection of the person to close. It
    /// is closed as it registers. The same person's other session, connecting the same way, stays and can join.</summary>
    [Fact]
    public async Task AConnectionStillConnectingWhenItsSessionEndsIsClosedAsItRegisters()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var laptop = await app.LogInAsync(ada);
        await using var connecting = await RawSocketHub.ConnectAsync(app, laptop, handshake: false);
        await using var phone = await RawSocketHub.ConnectAsync(app, ada, handshake: false);

        await (await laptop.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = laptop.RefreshToken })).Json(HttpStatusCode.NoContent);
        await connecting.HandshakeAsync();
        await phone.HandshakeAsync();

        Assert.True(await LiveBoard.EventuallyAsync(() => connecting.Closed, 5), "the ended session's connection, registered after the end, is still open");
        await phone.InvokeAsync("JoinBoard", board, 0); // the other session's connection is open and joins
        Assert.False(phone.Closed);
    }
}

public sealed class SessionEndsTestsOnSqlite(SqliteApplication app) : SessionEndsTests(app), IClassFixture<SqliteApplication>;

public sealed class SessionEndsTestsOnMariaDb(MariaDbApplication app) : SessionEndsTests(app), IClassFixture<MariaDbApplication>;
