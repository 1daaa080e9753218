using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Auth;

/// <summary>Personal API tokens: shown once, scoped, revocable, accepted on the REST API and the hub.</summary>
public abstract class ApiTokenTests(TaskHubApplication app)
{
    private HttpClient With(string token)
    {
        var c = app.CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return c;
    }

    [Fact]
    public async Task AReadTokenReadsAWriteTokenWritesAndARevokedOneIsRefused()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var read = await (await ada.Client.PostAsJsonAsync("/api/me/tokens", new { name = "dashboard", scope = "read" })).Json(HttpStatusCode.Created);
        var write = await (await ada.Client.PostAsJsonAsync("/api/me/tokens", new { name = "script", scope = "write" })).Json(HttpStatusCode.Created);
        var readToken = read.GetProperty("token").GetString()!;
        var writeToken = write.GetProperty("token").GetString()!;
        Assert.StartsWith("thp_", readToken);

        Assert.Equal(HttpStatusCode.OK, (await With(readToken).GetAsync($"/api/boards/{board}/tasks")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await With(readToken).PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "no" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await With(writeToken).PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "yes" })).StatusCode);

        // Listed without the secret, with its last use; the token itself is never shown again.
        var list = await ada.Client.GetJson("/api/me/tokens");
        Assert.Equal(2, list.GetArrayLength());
        Assert.All(list.EnumerateArray(), t => Assert.False(t.TryGetProperty("token", out _)));
        Assert.Contains(list.EnumerateArray(), t => t.GetProperty("name").GetString() == "script" && t.GetProperty("lastUsedAt").ValueKind != System.Text.Json.JsonValueKind.Null);

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/me/tokens/{write.GetProperty("id").GetGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await With(writeToken).GetAsync($"/api/boards/{board}/tasks")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await With("thp_made-up").GetAsync("/api/me")).StatusCode);

        var other = await app.SignUpAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Client.DeleteAsync($"/api/me/tokens/{read.GetProperty("id").GetGuid()}")).StatusCode);
        await (await ada.Client.PostAsJsonAsync("/api/me/tokens", new { name = "x", scope = "admin" })).AssertProblem(HttpStatusCode.BadRequest);
        await (await ada.Client.PostAsJsonAsync("/api/me/tokens", new { name = "x", scope = "read", expiresAt = "2000-01-01T00:00:00Z" })).AssertFieldError("expiresAt");
    }

    [Fact]
    public async Task AnExpiredTokenIsRefusedAndATokenWorksOnTheHub()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        // Checked as soon as it is made, with time to spare on a loaded machine; refused once its time is past (below).
        var soon = DateTimeOffset.UtcNow.AddSeconds(5);
        var expiring = (await (await ada.Client.PostAsJsonAsync("/api/me/tokens", new { name = "brief", scope = "read", expiresAt = soon })).Json(HttpStatusCode.Created)).GetProperty("token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await With(expiring).GetAsync("/api/me")).StatusCode);
        var token = (await (await ada.Client.PostAsJsonAsync("/api/me/tokens", new { name = "hub", scope = "read" })).Json(HttpStatusCode.Created)).GetProperty("token").GetString()!;

        var server = app.Server;
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "hubs/board"), o =>
            {
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.Transports = HttpTransportType.LongPolling;
            }).Build();
        var heads = new List<long>();
        hub.On<TaskHub.Server.Features.Realtime.BoardHeadDto>("BoardHead", h => heads.Add(h.Seq));
        await hub.StartAsync();
        await hub.InvokeAsync("JoinBoard", board, (long?)null);
        Assert.True(await LiveBoard.EventuallyAsync(() => heads.Count > 0));

        var left = soon - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300);
        if (left > TimeSpan.Zero) await Task.Delay(left); // wait out the expiry itself
        Assert.Equal(HttpStatusCode.Unauthorized, (await With(expiring).GetAsync("/api/me")).StatusCode);
    }
}

public sealed class ApiTokenTestsOnSqlite(SqliteApplication app) : ApiTokenTests(app), IClassFixture<SqliteApplication>;

public sealed class ApiTokenTestsOnMariaDb(MariaDbApplication app) : ApiTokenTests(app), IClassFixture<MariaDbApplication>;
