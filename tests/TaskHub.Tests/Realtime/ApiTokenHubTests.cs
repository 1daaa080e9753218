using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskHub.Server.Features.Realtime;
using TaskHub.Server.Infrastructure;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// Hub connections opened with a personal API token (no session): the head tick's access sweep checks their token, not a
/// session they do not have. Before the thirty-third round every such connection was closed at every tick (a review
/// found it); a revoked token's connection is closed at the next tick and joins no board before it.
/// </summary>
public abstract class ApiTokenHubTests(TaskHubApplication app)
{
    private Task TickAsync() =>
        app.Services.GetServices<IHostedService>().OfType<BoardHeadService>().Single().TickAsync(CancellationToken.None);

    private async Task<(HubConnection Hub, Task<Exception?> Closed)> ConnectAsync(string token, bool inQuery)
    {
        var server = app.Server;
        var url = new Uri(server.BaseAddress, inQuery ? "hubs/board?access_token=" + Uri.EscapeDataString(token) : "hubs/board");
        // Over WebSockets, as a script's client would: one request, authenticated once (over long polling every poll is a
        // request of its own, refused once the token is revoked, which would hide what the hub itself does).
        var hub = new HubConnectionBuilder()
            .WithUrl(url, o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                o.WebSocketFactory = async (context, ct) =>
                {
                    var client = server.CreateWebSocketClient();
                    if (!inQuery) client.ConfigureRequest = r => r.Headers.Authorization = "Bearer " + token;
                    return await client.ConnectAsync(context.Uri, ct);
                };
            })
            .AddJsonProtocol(o => ApiExtensions.ConfigureJson(o.PayloadSerializerOptions))
            .Build();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        await hub.StartAsync();
        return (hub, closed.Task);
    }

    private static async Task<(Guid Id, string Token)> TokenAsync(TestUser user)
    {
        var created = await (await user.Client.PostAsJsonAsync("/api/me/tokens", new { name = "hub", scope = "read" })).Json(HttpStatusCode.Created);
        return (created.GetProperty("id").GetGuid(), created.GetProperty("token").GetString()!);
    }

    [Theory]
    [InlineData(false)] // Authorization: Bearer thp_…
    [InlineData(true)]  // ?access_token=thp_…
    public async Task AnApiTokensConnectionOutlivesAHeadTick(bool inQuery)
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var (_, token) = await TokenAsync(ada);
        var (hub, closed) = await ConnectAsync(token, inQuery);
        await using var _ = hub;
        await hub.InvokeAsync("JoinBoard", board, (long?)null);

        await TickAsync();
        // The tick's sweep runs to its end before TickAsync returns; an abort would have closed the connection by then.
        await hub.InvokeAsync("JoinBoard", board, (long?)0); // still usable, which it is not once aborted
        Assert.False(closed.IsCompleted, "the API token's connection was closed by the head tick");
        Assert.Equal(HubConnectionState.Connected, hub.State);
    }

    [Fact]
    public async Task ARevokedTokensConnectionJoinsNoBoardAndIsClosedAtTheNextTick()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var other = await ada.CreateBoardAsync("other");
        var (id, token) = await TokenAsync(ada);
        var (hub, closed) = await ConnectAsync(token, inQuery: false);
        await using var _ = hub;
        await hub.InvokeAsync("JoinBoard", board, (long?)null);
        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/me/tokens/{id}")).StatusCode);

        // Refused (and the connection closed) at once, not at the next tick: it could otherwise read the board's history.
        await Assert.ThrowsAnyAsync<Exception>(() => hub.InvokeAsync("JoinBoard", other, (long?)0));
        await TickAsync();
        Assert.True(await Task.WhenAny(closed, Task.Delay(TimeSpan.FromSeconds(10))) == closed, "the revoked token's connection is still open after a tick");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARevokedTokensConnectionIsClosedAtOnceWithoutATick(bool inQuery)
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var (id, token) = await TokenAsync(ada);
        var (kept, keptClosed) = await ConnectAsync((await TokenAsync(ada)).Token, inQuery); // another token of hers
        await using var _ = kept;
        var (hub, closed) = await ConnectAsync(token, inQuery);
        await using var __ = hub;
        await hub.InvokeAsync("JoinBoard", board, (long?)null);

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/me/tokens/{id}")).StatusCode);

        // Closed by the revocation itself (HubSessionEnds, thirty-fourth round): this fixture's tick never comes.
        Assert.True(await Task.WhenAny(closed, Task.Delay(TimeSpan.FromSeconds(5))) == closed, "the revoked token's connection is still open");
        await kept.InvokeAsync("JoinBoard", board, (long?)null);
        Assert.False(keptClosed.IsCompleted, "another token's connection was closed");
    }
}

public sealed class ApiTokenHubTestsOnSqlite(SqliteApplication app) : ApiTokenHubTests(app), IClassFixture<SqliteApplication>;

public sealed class ApiTokenHubTestsOnMariaDb(MariaDbApplication app) : ApiTokenHubTests(app), IClassFixture<MariaDbApplication>;
