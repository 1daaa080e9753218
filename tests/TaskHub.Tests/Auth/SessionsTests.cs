using System.Net;
using System.Net.Http.Json;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Auth;

public sealed class SessionsTests(IdentityApplication app) : IClassFixture<IdentityApplication>
{
    private readonly HttpClient _anon = app.CreateClient();

    [Fact]
    public async Task EachLogInIsASessionWithItsDeviceAndTheCallersOwnIsMarkedCurrent()
    {
        var ada = await app.SignUpAsync();
        var phone = await app.LogInAsync(ada.Email, ada.Password, "Mozilla/5.0 (iPhone) TestPhone");

        var sessions = await ada.Client.GetJson("/api/me/sessions");

        Assert.Equal(2, sessions.GetArrayLength());
        var mine = sessions.EnumerateArray().Single(s => s.GetProperty("current").GetBoolean());
        var other = sessions.EnumerateArray().Single(s => !s.GetProperty("current").GetBoolean());
        Assert.Equal("Mozilla/5.0 (iPhone) TestPhone", other.GetProperty("userAgent").GetString());
        Assert.False(string.IsNullOrEmpty(other.GetProperty("address").GetString()));
        Assert.True(other.GetProperty("createdAt").GetDateTime() <= other.GetProperty("lastSeenAt").GetDateTime());
        Assert.NotEqual(mine.GetProperty("id").GetGuid(), other.GetProperty("id").GetGuid());
        Assert.False(phone.TryGetProperty("passwordHash", out _));
    }

    [Fact]
    public async Task ARefreshKeepsTheSessionAndMovesItsLastSeen()
    {
        var ada = await app.SignUpAsync();
        var before = (await ada.Client.GetJson("/api/me/sessions")).EnumerateArray().Single();
        await Task.Delay(20);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.UserAgent.ParseAdd("Refresher/2.0");
        var rotated = await (await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = ada.RefreshToken })).Json(HttpStatusCode.OK);

        var after = (await app.ClientWithToken(rotated.GetProperty("accessToken").GetString()!).GetJson("/api/me/sessions")).EnumerateArray().Single();

        Assert.Equal(before.GetProperty("id").GetGuid(), after.GetProperty("id").GetGuid());
        Assert.Equal(before.GetProperty("createdAt").GetDateTime(), after.GetProperty("createdAt").GetDateTime());
        Assert.True(after.GetProperty("lastSeenAt").GetDateTime() > before.GetProperty("lastSeenAt").GetDateTime());
        Assert.Equal("Refresher/2.0", after.GetProperty("userAgent").GetString());
    }

    [Fact]
    public async Task RevokingASessionStopsItsTokensAtOnce()
    {
        var ada = await app.SignUpAsync();
        var laptop = await app.LogInAsync(ada.Email, ada.Password, "Laptop");
        var laptopClient = app.ClientWithToken(laptop.GetProperty("accessToken").GetString()!);
        var id = (await ada.Client.GetJson("/api/me/sessions")).EnumerateArray().Single(s => !s.GetProperty("current").GetBoolean()).GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/me/sessions/{id}")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await laptopClient.GetAsync("/api/me")).StatusCode);
        await (await _anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = laptop.GetProperty("refreshToken").GetString() })).AssertProblem(HttpStatusCode.Unauthorized);
        await ada.Client.GetJson("/api/me"); // this session lives on
        Assert.Single((await ada.Client.GetJson("/api/me/sessions")).EnumerateArray());
    }

    [Fact]
    public async Task AnotherUsersSessionIsNotFound()
    {
        var ada = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var adas = (await ada.Client.GetJson("/api/me/sessions")).EnumerateArray().Single().GetProperty("id").GetGuid();

        await (await eve.Client.DeleteAsync($"/api/me/sessions/{adas}")).AssertProblem(HttpStatusCode.NotFound);
        await ada.Client.GetJson("/api/me");
    }

    [Fact]
    public async Task RevokingAllOthersKeepsOnlyThisSession()
    {
        var ada = await app.SignUpAsync();
        var a = await app.LogInAsync(ada.Email, ada.Password, "A");
        var b = await app.LogInAsync(ada.Email, ada.Password, "B");

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.PostAsync("/api/me/sessions/revoke-others", null)).StatusCode);

        foreach (var other in new[] { a, b })
            Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWithToken(other.GetProperty("accessToken").GetString()!).GetAsync("/api/me")).StatusCode);
        var left = (await ada.Client.GetJson("/api/me/sessions")).EnumerateArray().Single();
        Assert.True(left.GetProperty("current").GetBoolean());
    }
}
