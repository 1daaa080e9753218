using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Notifications;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Auth;

public sealed class PasswordResetTests(IdentityApplication app) : IClassFixture<IdentityApplication>
{
    private readonly HttpClient _anon = app.CreateClient();

    [Fact]
    public async Task ForgotAnswersAKnownAndAnUnknownAddressAlikeAndMailsOnlyTheKnownOne()
    {
        var ada = await app.SignUpAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";

        var known = await _anon.PostAsJsonAsync("/api/auth/forgot", new { email = ada.Email });
        var stranger = await _anon.PostAsJsonAsync("/api/auth/forgot", new { email = unknown });

        Assert.Equal(HttpStatusCode.Accepted, known.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, stranger.StatusCode);
        Assert.Equal(await known.Content.ReadAsStringAsync(), await stranger.Content.ReadAsStringAsync());
        Assert.Equal(known.Content.Headers.ContentType, stranger.Content.Headers.ContentType);
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await MailDev.ForAsync(ada.Email)).Count == 1, 20));
        Assert.Empty(await MailDev.ForAsync(unknown));
    }

    [Fact]
    public async Task TheResetClosesEverySessionsOpenHubConnectionAtOnce()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var live = await LiveBoard.ConnectAsync(app, ada, handover: true);
        await live.JoinAsync(board, 0);
        var token = await app.ResetTokenAsync(ada.Email);

        await (await _anon.PostAsJsonAsync("/api/auth/reset", new { token, newPassword = "a-new-secret-7" })).Json(HttpStatusCode.NoContent);

        // Closed by the reset itself (HubSessionEnds, thirty-fourth round), not by a head tick (this fixture's never comes).
        Assert.True(await LiveBoard.EventuallyAsync(() => !live.Connected, 5), "the reset account's connection is still open");
    }

    [Fact]
    public async Task TheLinkSetsANewPasswordOnceAndSignsOutEverySession()
    {
        var ada = await app.SignUpAsync();
        var other = await app.LogInAsync(ada.Email, ada.Password);
        var token = await app.ResetTokenAsync(ada.Email);

        // Neither the reset row nor the outbox holds the link.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            Assert.DoesNotContain(await db.Set<OutboxMessage>().Select(m => m.Payload).ToListAsync(), p => p.Contains(token));
            var stored = await db.Set<PasswordReset>().Where(r => r.UserId == ada.Id).Select(r => r.TokenHash).SingleAsync();
            Assert.NotEqual(token, stored);
            Assert.Equal(TokenService.Hash(token), stored);
        }

        // A weak password is refused like at sign-up, and the link still works afterwards.
        await (await _anon.PostAsJsonAsync("/api/auth/reset", new { token, newPassword = "short" })).AssertFieldError("newPassword");
        await (await _anon.PostAsJsonAsync("/api/auth/reset", new { token, newPassword = "a-new-secret-7" })).Json(HttpStatusCode.NoContent);

        // Every session died: both access tokens and both refresh tokens.
        Assert.Equal(HttpStatusCode.Unauthorized, (await ada.Client.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWithToken(other.GetProperty("accessToken").GetString()!).GetAsync("/api/me")).StatusCode);
        await (await _anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = ada.RefreshToken })).AssertProblem(HttpStatusCode.Unauthorized);
        await (await _anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = other.GetProperty("refreshToken").GetString() })).AssertProblem(HttpStatusCode.Unauthorized);

        // The new password works, the old one does not, and the link cannot be used again.
        await (await _anon.PostAsJsonAsync("/api/auth/login", new { email = ada.Email, password = "a-new-secret-7" })).Json(HttpStatusCode.OK);
        await (await _anon.PostAsJsonAsync("/api/auth/login", new { email = ada.Email, password = ada.Password })).AssertProblem(HttpStatusCode.Unauthorized);
        await (await _anon.PostAsJsonAsync("/api/auth/reset", new { token, newPassword = "yet-another-8" })).AssertFieldError("token");
    }

    [Fact]
    public async Task ALinkOlderThanAnHourIsRefused()
    {
        var ada = await app.SignUpAsync();
        var token = await app.ResetTokenAsync(ada.Email);

        using (app.Clock.At(DateTime.UtcNow.AddMinutes(61)))
            await (await _anon.PostAsJsonAsync("/api/auth/reset", new { token, newPassword = "a-new-secret-7" })).AssertFieldError("token");
        using (app.Clock.At(DateTime.UtcNow.AddMinutes(59)))
            await (await _anon.PostAsJsonAsync("/api/auth/reset", new { token, newPassword = "a-new-secret-7" })).Json(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("made-up")]
    [InlineData("")]
    public async Task AMadeUpTokenIsRefused(string token) =>
        await (await _anon.PostAsJsonAsync("/api/auth/reset", new { token, newPassword = "a-new-secret-7" })).AssertFieldError("token");

    [Fact]
    public async Task ATamperedTokenIsRefused()
    {
        var ada = await app.SignUpAsync();
        var token = await app.ResetTokenAsync(ada.Email);
        var tampered = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];
        await (await _anon.PostAsJsonAsync("/api/auth/reset", new { token = tampered, newPassword = "a-new-secret-7" })).AssertFieldError("token");
    }
}

/// <summary>Asking for reset links is throttled per address like log-in, whether or not the account exists.</summary>
public sealed class ForgotThrottleApplication : SqliteApplication
{
    public ForgotThrottleApplication() => Settings["Auth:Limits:PerAccountPerMinute"] = "3";
}

public sealed class ForgotThrottleTests(ForgotThrottleApplication app) : IClassFixture<ForgotThrottleApplication>
{
    [Fact]
    public async Task AskingTooOftenForOneAddressIsThrottledKnownOrNot()
    {
        var anon = app.CreateClient();
        foreach (var email in new[] { (await app.SignUpAsync()).Email, $"nobody-{Guid.NewGuid():N}@example.com" })
        {
            for (var i = 0; i < 3; i++)
                await (await anon.PostAsJsonAsync("/api/auth/forgot", new { email })).Json(HttpStatusCode.Accepted);
            var throttled = await anon.PostAsJsonAsync("/api/auth/forgot", new { email });
            await throttled.AssertProblem(HttpStatusCode.TooManyRequests);
            Assert.True(throttled.Headers.Contains("Retry-After"));
        }
    }
}
