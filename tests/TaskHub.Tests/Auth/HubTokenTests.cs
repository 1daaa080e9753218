using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Auth;

/// <summary>
/// The hub token: what a WebSocket keeps in its URL for its whole life, so it is short; it opens the hub only, only
/// while its session lives and until it expires.
/// </summary>
public abstract class HubTokenTests(TaskHubApplication app)
{
    private async Task<(TestUser User, string HubToken)> SignInAsync()
    {
        var user = await app.SignUpAsync();
        var login = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = user.Password });
        login.EnsureSuccessStatusCode();
        var body = await login.Content.ReadFromJsonAsync<JsonElement>();
        return (user with { AccessToken = body.GetProperty("accessToken").GetString()!, RefreshToken = body.GetProperty("refreshToken").GetString()! },
            body.GetProperty("hubToken").GetString()!);
    }

    /// <summary>A hub connection that carries the token in the URL's <c>access_token</c>, as browsers do.</summary>
    private HubConnection InUrl(string token)
    {
        var server = app.Server;
        return new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, $"hubs/board?access_token={Uri.EscapeDataString(token)}"), o =>
            {
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling;
            })
            .AddJsonProtocol(o => ApiExtensions.ConfigureJson(o.PayloadSerializerOptions))
            .Build();
    }

    [Fact]
    public async Task TheHubTokenIsAFifthOfTheAccessTokenAndOpensTheBoardsLiveFeed()
    {
        var (ada, hubToken) = await SignInAsync();
        Assert.StartsWith("h1.", hubToken);
        Assert.True(hubToken.Length <= 80 && hubToken.Length * 4 < ada.AccessToken.Length, $"{hubToken.Length} vs {ada.AccessToken.Length}");
        var board = await ada.CreateBoardAsync();
        await using var hub = InUrl(hubToken);
        var created = new TaskCompletionSource<BoardEventDto>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.On<BoardEventDto>("TaskCreated", e => created.TrySetResult(e));
        await hub.StartAsync();
        await hub.InvokeAsync("JoinBoard", board, 0L);

        await ada.CreateTaskAsync(board, new { title = "live" });

        Assert.Equal("live", (await created.Task.WaitAsync(TimeSpan.FromSeconds(15))).Task!.Title);
    }

    [Fact]
    public async Task AHubTokenIsNoAccessTokenForTheApiAndTheRefreshGivesANewOne()
    {
        var (ada, hubToken) = await SignInAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWithToken(hubToken).GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ClientWithToken(ada.AccessToken).GetAsync("/api/me")).StatusCode);

        var refreshed = await app.CreateClient().PostAsJsonAsync("/api/auth/refresh", new { refreshToken = ada.RefreshToken });
        refreshed.EnsureSuccessStatusCode();
        var next = (await refreshed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hubToken").GetString()!;
        await using var hub = InUrl(next);
        await hub.StartAsync();
        Assert.Equal(HubConnectionState.Connected, hub.State);
    }

    [Fact]
    public async Task ATamperedOrExpiredHubTokenOrOneOfAClosedSessionIsRefused()
    {
        var (ada, hubToken) = await SignInAsync();
        var tampered = hubToken[..^2] + (hubToken[^2] == 'A' ? 'B' : 'A') + hubToken[^1];
        await AssertRefusedAsync(tampered);

        var jwt = new JsonWebToken(ada.AccessToken);
        var expired = app.Services.GetRequiredService<HubTickets>().Issue(ada.Id, Guid.Parse(jwt.GetClaim("sid").Value), DateTimeOffset.UtcNow.AddSeconds(-1));
        await AssertRefusedAsync(expired);

        // The same token works until its session ends.
        await using (var open = InUrl(hubToken)) await open.StartAsync();
        (await ada.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = ada.RefreshToken })).EnsureSuccessStatusCode();
        await AssertRefusedAsync(hubToken);
    }

    private async Task AssertRefusedAsync(string token)
    {
        await using var hub = InUrl(token);
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
    }
}

public sealed class HubTokenTestsOnSqlite(SqliteApplication app) : HubTokenTests(app), IClassFixture<SqliteApplication>;

public sealed class HubTokenTestsOnMariaDb(MariaDbApplication app) : HubTokenTests(app), IClassFixture<MariaDbApplication>;
