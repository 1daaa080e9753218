using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Auth;

public abstract class AuthTests(TaskHubApplication app)
{
    private readonly HttpClient _anon = app.CreateClient();

    private static string NewEmail() => $"a{Guid.NewGuid():N}@example.com";

    [Fact]
    public async Task SigningUpReturnsTheUserWithoutSecrets()
    {
        var email = NewEmail();
        var response = await _anon.PostAsJsonAsync("/api/auth/register", new { email, password = "s3cret-pass", displayName = "Ada" });
        var user = await response.Json(HttpStatusCode.Created);

        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.Equal("Ada", user.GetProperty("displayName").GetString());
        Assert.Equal("UTC", user.GetProperty("timeZone").GetString());
        Assert.False(user.TryGetProperty("passwordHash", out _));
    }

    [Fact]
    public async Task AnEmailIsTakenWhateverItsCase()
    {
        var email = NewEmail();
        await (await _anon.PostAsJsonAsync("/api/auth/register", new { email, password = "s3cret-pass", displayName = "A" })).Json(HttpStatusCode.Created);

        var again = await _anon.PostAsJsonAsync("/api/auth/register", new { email = email.ToUpperInvariant(), password = "s3cret-pass", displayName = "B" });

        await again.AssertProblem(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("not-an-email", "s3cret-pass", "Ada", "email")]
    [InlineData("ada@localhost", "s3cret-pass", "Ada", "email")]
    [InlineData("ok@example.com", "short1", "Ada", "password")]
    [InlineData("ok@example.com", "onlyletters", "Ada", "password")]
    [InlineData("ok@example.com", "s3cret-pass", "  ", "displayName")]
    public async Task SigningUpWithBadInputNamesTheField(string email, string password, string displayName, string field)
    {
        var response = await _anon.PostAsJsonAsync("/api/auth/register", new { email, password, displayName });
        await response.AssertFieldError(field);
    }

    [Fact]
    public async Task SigningUpWithAMissingFieldNamesIt()
    {
        var response = await _anon.PostAsJsonAsync("/api/auth/register", new { email = NewEmail(), displayName = "Ada" });
        await response.AssertFieldError("password");
    }

    [Fact]
    public async Task LoggingInIgnoresTheEmailsCase()
    {
        var user = await app.SignUpAsync();
        var response = await _anon.PostAsJsonAsync("/api/auth/login", new { email = user.Email.ToUpperInvariant(), password = user.Password });
        var tokens = await response.Json(HttpStatusCode.OK);

        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("accessToken").GetString()));
        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("refreshToken").GetString()));
        Assert.Equal(900, tokens.GetProperty("expiresIn").GetInt32());
        Assert.Equal(user.Id, tokens.GetProperty("user").GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task AWrongPasswordAndAnUnknownEmailGetTheSame401()
    {
        var user = await app.SignUpAsync();
        var wrong = await _anon.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = "wrong-pass-1" });
        var unknown = await _anon.PostAsJsonAsync("/api/auth/login", new { email = NewEmail(), password = "wrong-pass-1" });

        var a = await wrong.Json(HttpStatusCode.Unauthorized);
        var b = await unknown.Json(HttpStatusCode.Unauthorized);
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task RefreshingRotatesTheTokenAndTheOldOneStopsWorking()
    {
        var user = await app.SignUpAsync();
        var first = await (await _anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = user.RefreshToken })).Json(HttpStatusCode.OK);
        var newRefresh = first.GetProperty("refreshToken").GetString();
        Assert.NotEqual(user.RefreshToken, newRefresh);

        // The new access token works.
        await app.ClientWithToken(first.GetProperty("accessToken").GetString()!).GetJson("/api/me");
        // The old refresh token is dead.
        await (await _anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = user.RefreshToken })).AssertProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ReusingARotatedRefreshTokenRevokesTheWholeFamily()
    {
        var user = await app.SignUpAsync();
        var rotated = await (await _anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = user.RefreshToken })).Json(HttpStatusCode.OK);

        // A thief replays the old token: refused, and the legitimate successor dies with it.
        await (await _anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = user.RefreshToken })).AssertProblem(HttpStatusCode.Unauthorized);
        await (await _anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = rotated.GetProperty("refreshToken").GetString() }))
            .AssertProblem(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWithToken(rotated.GetProperty("accessToken").GetString()!).GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task ConcurrentRefreshesOfOneTokenLetExactlyOneWin()
    {
        // Several rounds: the callers that lose revoke the family at once, and on MariaDB those revocations once
        // deadlocked each other (a 503) until every refresh of a token queued on the token's row lock.
        for (var round = 0; round < 10; round++)
        {
            var user = await app.SignUpAsync();
            var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
                _anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = user.RefreshToken })));
            Assert.Equal(1, attempts.Count(r => r.StatusCode == HttpStatusCode.OK));
            Assert.All(attempts, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Unauthorized }));
        }
    }

    [Fact]
    public async Task LoggingOutRevokesTheSessionAndItsAccessToken()
    {
        var user = await app.SignUpAsync();
        var response = await user.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = user.RefreshToken });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await user.Client.GetAsync("/api/me")).StatusCode);
        await (await _anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = user.RefreshToken })).AssertProblem(HttpStatusCode.Unauthorized);
    }

    /// <summary>
    /// The per-request session check compares the session's expiry with the time now as the database stores it: a
    /// minute either side of now (the same day, so a date written in another format would compare wrongly) decides.
    /// </summary>
    [Fact]
    public async Task AnAccessTokenEndsWithItsSessionsExpiry()
    {
        var user = await app.SignUpAsync();
        await SetSessionExpiryAsync(user.Id, DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await user.Client.GetAsync("/api/me")).StatusCode);
        await SetSessionExpiryAsync(user.Id, DateTime.UtcNow.AddMinutes(-1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.Client.GetAsync("/api/me")).StatusCode);
    }

    private async Task SetSessionExpiryAsync(Guid userId, DateTime expiresAt)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        Assert.Equal(1, await db.RefreshTokens.Where(t => t.UserId == userId).ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, expiresAt)));
    }

    [Fact]
    public async Task AnInvalidRefreshTokenIsUnauthorized() =>
        await (await _anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = "made-up" })).AssertProblem(HttpStatusCode.Unauthorized);
}

public sealed class AuthTestsOnSqlite(SqliteApplication app) : AuthTests(app), IClassFixture<SqliteApplication>;

public sealed class AuthTestsOnMariaDb(MariaDbApplication app) : AuthTests(app), IClassFixture<MariaDbApplication>;
