using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

public sealed class ThrottledApplication : SqliteApplication
{
    public ThrottledApplication()
    {
        Settings["Auth:Limits:PerAddressPerMinute"] = "5";
    }
}

public sealed class AddressThrottleTests(ThrottledApplication app) : IClassFixture<ThrottledApplication>
{
    [Fact]
    public async Task TheAuthEndpointsAreThrottledPerClientAddress()
    {
        var anon = app.CreateClient();
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 12; i++)
            answers.Add(await anon.PostAsJsonAsync("/api/auth/login", new { email = $"nobody{i}@example.com", password = "whatever-1" }));

        var limited = answers.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.True(answers.Count(r => r.StatusCode != HttpStatusCode.TooManyRequests) <= 10); // at most two one-minute windows
        Assert.Equal("60", limited[0].Headers.RetryAfter?.Delta?.TotalSeconds.ToString());
        await limited[0].AssertProblem(HttpStatusCode.TooManyRequests);
    }
}

public sealed class LockoutApplication : SqliteApplication
{
    public LockoutApplication()
    {
        Settings["Auth:Limits:LockoutFailures"] = "3";
    }
}

public sealed class LockoutTests(LockoutApplication app) : IClassFixture<LockoutApplication>
{
    private async Task<HttpResponseMessage> Login(string email, string password) =>
        await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email, password });

    [Fact]
    public async Task RepeatedFailuresLockAnAccountAndAnUnknownEmailLooksTheSame()
    {
        var ada = await app.SignUpAsync();
        var unknown = $"ghost-{Guid.NewGuid():N}@example.com";
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Login(ada.Email, "wrong-pass-1")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Login(unknown, "wrong-pass-1")).StatusCode);
        }

        var locked = await Login(ada.Email, ada.Password); // even the right password, while locked
        var lockedUnknown = await Login(unknown, "wrong-pass-1");

        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, lockedUnknown.StatusCode);
        Assert.Equal((await locked.Json(HttpStatusCode.TooManyRequests)).GetProperty("detail").GetString(),
                     (await lockedUnknown.Json(HttpStatusCode.TooManyRequests)).GetProperty("detail").GetString());
        // Other accounts are not affected.
        var bob = await app.SignUpAsync();
        Assert.Equal(HttpStatusCode.OK, (await Login(bob.Email, bob.Password)).StatusCode);
    }

    [Fact]
    public async Task ASuccessfulLogInClearsEarlierFailures()
    {
        var ada = await app.SignUpAsync();
        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Login(ada.Email, "wrong-pass-1")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Login(ada.Email, "wrong-pass-1")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Login(ada.Email, ada.Password)).StatusCode);
        }
    }
}

public abstract class SecurityTests(TaskHubApplication app)
{
    [Fact]
    public async Task ResponsesCarrySecurityHeaders()
    {
        var response = await app.CreateClient().GetAsync("/healthz");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task AnotherSitesBrowserIsNotAllowedByCors()
    {
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/boards");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization");

        var response = await app.CreateClient().SendAsync(preflight);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task AFloodOfHubCallsIsCutOffButTheConnectionSurvives()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var live = await LiveBoard.ConnectAsync(app, ada);
        var refused = 0;
        for (var i = 0; i < 60; i++)
        {
            try { await live.InvokeJoinAsync(board, null); }
            catch (HubException e) when (e.Message.Contains("Too many calls")) { refused++; }
        }
        Assert.InRange(refused, 1, 59);
        await Task.Delay(1100);
        await live.InvokeJoinAsync(board, null); // replenished
    }

    [Fact]
    public async Task AnOversizedHubMessageIsRefused()
    {
        var ada = await app.SignUpAsync();
        await using var live = await LiveBoard.ConnectAsync(app, ada);
        await Assert.ThrowsAnyAsync<Exception>(() => live.InvokeRawAsync("JoinBoard", new string('x', 64 * 1024), null));
    }
}

public sealed class SecurityTestsOnSqlite(SqliteApplication app) : SecurityTests(app), IClassFixture<SqliteApplication>;

/// <summary>The database is down (nothing listens where it should be): callers get 503 problems, not 500s or hangs.</summary>
public sealed class DatabaseDownApplication : MariaDbApplication
{
    public DatabaseDownApplication() : base("taskhub_unreachable", new Dictionary<string, string>()) { }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("ConnectionStrings:MySql", "Server=127.0.0.1;Port=9;Database=taskhub_unreachable;User ID=taskhub;Password=taskhub;Connection Timeout=2");
    }
}

public sealed class DatabaseDownTests(DatabaseDownApplication app) : IClassFixture<DatabaseDownApplication>
{
    [Fact]
    public async Task RequestsGet503ProblemsAndReadinessSaysNotReady()
    {
        var anon = app.CreateClient();
        var started = DateTime.UtcNow;

        var register = await anon.PostAsJsonAsync("/api/auth/register", new { email = "down@example.com", password = "s3cret-pass", displayName = "D" });
        var ready = await anon.GetAsync("/readyz");
        var alive = await anon.GetAsync("/healthz");

        await register.AssertProblem(HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "requests must fail fast, not hang");
    }
}
