using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Notifications;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>
/// One person's requests at once (a double click, two tabs, a refresh racing a sign-out) are answered one after the
/// other: each gets a 2xx or the 4xx the later one deserves, never a 500 or 503. On MariaDB each of these once locked
/// the same rows in different orders (a deadlock: 503) or passed a check before the other inserted (a duplicate key:
/// 500). Every case runs ten rounds of eight requests; without its mend each failed most rounds on MariaDB.
/// </summary>
public abstract class ConcurrentRequestsTests(TaskHubApplication app)
{
    private const int Rounds = 10;
    private const int AtOnce = 8;

    private static async Task<HttpResponseMessage[]> AtOnceAsync(Func<int, Task<HttpResponseMessage>> send) =>
        await Task.WhenAll(Enumerable.Range(0, AtOnce).Select(send));

    private static void AllAmong(HttpResponseMessage[] responses, params HttpStatusCode[] allowed) =>
        Assert.All(responses, r => Assert.Contains(r.StatusCode, allowed));

    [Fact]
    public async Task TurningTwoFactorOnTwiceAtOnceTurnsItOnOnceAndTellsTheOthersItIsOn()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var setup = await (await ada.Client.PostAsync("/api/me/2fa/setup", null)).Json(HttpStatusCode.OK);
            var code = new Totp(Base32Encoding.ToBytes(setup.GetProperty("secret").GetString()!)).ComputeTotp(DateTime.UtcNow);
            var responses = await AtOnceAsync(_ => ada.Client.PostAsJsonAsync("/api/me/2fa/enable", new { code }));
            AllAmong(responses, HttpStatusCode.OK, HttpStatusCode.Conflict);
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            Assert.Equal(10, await app.DbAsync(db => db.Set<RecoveryCode>().CountAsync(c => c.UserId == ada.Id)));
        }
    }

    [Fact]
    public async Task TheCalendarFeedsFirstReadsAtOnceAllGetTheSameFeed()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var responses = await AtOnceAsync(_ => ada.Client.GetAsync("/api/me/calendar"));
            AllAmong(responses, HttpStatusCode.OK);
            var urls = await Task.WhenAll(responses.Select(async r => (await r.Json(HttpStatusCode.OK)).GetProperty("url").GetString()));
            Assert.Single(urls.Distinct());
        }
    }

    [Fact]
    public async Task ResettingTheCalendarAtOnceLeavesTheLastResetsFeed()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            await ada.Client.GetJson("/api/me/calendar");
            var responses = await AtOnceAsync(_ => ada.Client.PostAsync("/api/me/calendar/reset", null));
            AllAmong(responses, HttpStatusCode.OK);
            var urls = await Task.WhenAll(responses.Select(async r => (await r.Json(HttpStatusCode.OK)).GetProperty("url").GetString()));
            Assert.Contains((await ada.Client.GetJson("/api/me/calendar")).GetProperty("url").GetString(), urls);
        }
    }

    [Fact]
    public async Task ABoardsFirstNotificationSettingsAtOnceAreSavedOneAfterTheOther()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var responses = await AtOnceAsync(i => ada.Client.PutAsJsonAsync($"/api/boards/{board}/notification-settings",
                new { level = i % 2 == 0 ? "watching" : "muted", email = true }));
            AllAmong(responses, HttpStatusCode.OK);
            var level = (await ada.Client.GetJson($"/api/boards/{board}/notification-settings")).GetProperty("level").GetString();
            Assert.Contains(level, new[] { "watching", "muted" });
        }
    }

    [Fact]
    public async Task DeletingABoardTwiceAtOnceDeletesItOnceAndTheOthersFindNoBoard()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var responses = await AtOnceAsync(_ => ada.Client.DeleteAsync($"/api/boards/{board}"));
            AllAmong(responses, HttpStatusCode.NoContent, HttpStatusCode.NotFound);
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.NoContent);
        }
    }

    /// <summary>Half sign out with a session's refresh token, half refresh it: the session ends, and no refresh outlives it.</summary>
    [Fact]
    public async Task SigningOutWhileTheSameSessionRefreshesEndsTheSession()
    {
        var anon = app.CreateClient();
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var responses = await AtOnceAsync(i => i % 2 == 0
                ? ada.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = ada.RefreshToken })
                : anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = ada.RefreshToken }));
            AllAmong(responses, HttpStatusCode.NoContent, HttpStatusCode.OK, HttpStatusCode.Unauthorized);
            Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.OK) <= 1);
            await AssertSessionEndedAsync(anon, responses);
        }
    }

    /// <summary>A session ended from another one (Settings) while its own tab refreshes it seven times.</summary>
    [Fact]
    public async Task EndingASessionWhileItRefreshesEndsIt()
    {
        var anon = app.CreateClient();
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var other = await app.LogInAsync(ada);
            var session = (await ada.Client.GetJson("/api/me/sessions")).EnumerateArray()
                .Single(s => !s.GetProperty("current").GetBoolean()).GetProperty("id").GetGuid();
            var responses = await AtOnceAsync(i => i == 0
                ? ada.Client.DeleteAsync($"/api/me/sessions/{session}")
                : anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = other.RefreshToken }));
            // (404 when the refreshes ended it first: a refresh token used twice revokes its session.)
            AllAmong(responses[..1], HttpStatusCode.NoContent, HttpStatusCode.NotFound);
            AllAmong(responses[1..], HttpStatusCode.OK, HttpStatusCode.Unauthorized);
            await AssertSessionEndedAsync(anon, responses);
        }
    }

    /// <summary>Whatever the order, nothing of the session works afterwards: not the token the requests used, and not a
    /// token a refresh that won answered.</summary>
    private static async Task AssertSessionEndedAsync(HttpClient anon, HttpResponseMessage[] responses)
    {
        foreach (var won in responses.Where(r => r.StatusCode == HttpStatusCode.OK))
        {
            var body = await won.Json(HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.Unauthorized,
                (await anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = body.GetProperty("refreshToken").GetString() })).StatusCode);
        }
    }

    /// <summary>"Mark all read" from one tab while another marks a page read: the rows' orders differ (the first goes by
    /// time, the second by id; ids here sort against their times, as they do within one millisecond).</summary>
    [Fact]
    public async Task MarkingAllReadWhileMarkingSomeReadMarksThemAll()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var ids = await app.SeedNotificationsAsync(ada.Id, board, 100);
            var random = new Random(round);
            var responses = await AtOnceAsync(i => i % 2 == 0
                ? ada.Client.PostAsJsonAsync("/api/me/notifications/read", new { all = true })
                : ada.Client.PostAsJsonAsync("/api/me/notifications/read", new { ids = ids.OrderBy(_ => random.Next()).Take(60).ToList() }));
            AllAmong(responses, HttpStatusCode.NoContent);
            Assert.Equal(0, await app.DbAsync(db => db.Set<Notification>().CountAsync(n => n.UserId == ada.Id && n.ReadAt == null)));
        }
    }

}

public sealed class ConcurrentRequestsTestsOnSqlite(SqliteApplication app) : ConcurrentRequestsTests(app), IClassFixture<SqliteApplication>;

public sealed class ConcurrentRequestsTestsOnMariaDb(MariaDbApplication app) : ConcurrentRequestsTests(app), IClassFixture<MariaDbApplication>;
