using System.Buffers;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TaskHub.Server.Features.Realtime;
using TaskHub.Server.Infrastructure;
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

/// <summary>A site that may call the API from a browser, and the hub call limiter on a clock the tests move.</summary>
public sealed class SecurityApplication : HubClockApplication
{
    public const string AllowedOrigin = "https://partner.example";

    public SecurityApplication()
    {
        Settings["Cors:AllowedOrigins:0"] = AllowedOrigin;
    }
}

public abstract class SecurityTests(SecurityApplication app)
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

    private static HttpRequestMessage Preflight(string origin)
    {
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/boards");
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization");
        return preflight;
    }

    [Fact]
    public async Task AnotherSitesBrowserIsNotAllowedByCors()
    {
        var response = await app.CreateClient().SendAsync(Preflight("https://evil.example"));

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        // The policy is there and answers: the configured origin is allowed (so the refusal above is the policy's).
        var allowed = await app.CreateClient().SendAsync(Preflight(SecurityApplication.AllowedOrigin));
        Assert.True(allowed.Headers.TryGetValues("Access-Control-Allow-Origin", out var origins), "The allowed origin got no Access-Control-Allow-Origin.");
        Assert.Equal(SecurityApplication.AllowedOrigin, Assert.Single(origins));
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
        Assert.Equal(60 - HubCallLimiter.Burst, refused); // the limiter's clock stood still: exactly one burst got through
        await Assert.ThrowsAsync<HubException>(() => live.InvokeJoinAsync(board, null)); // still empty
        app.HubClock.Advance(TimeSpan.FromSeconds(1));
        await live.InvokeJoinAsync(board, null); // replenished
    }

    [Fact]
    public async Task AnOversizedHubMessageIsRefused()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var live = await LiveBoard.ConnectAsync(app, ada);
        await Assert.ThrowsAnyAsync<Exception>(() => live.InvokeRawAsync("JoinBoard", new string('x', 64 * 1024), null));

        // A valid JoinBoard carrying an extra JSON property: the server skips unknown properties, so it binds and
        // works while small (16 KB) ...
        await using (var small = await LiveBoard.ConnectAsync(app, ada, b => b.Services.AddSingleton<IHubProtocol>(new PaddedJsonProtocol(16 * 1024))))
            await small.JoinAsync(board, 0);
        // ... and the very same call at 40 KB is refused only because of its size (the limit is 32 KB).
        await using var big = await LiveBoard.ConnectAsync(app, ada, b => b.Services.AddSingleton<IHubProtocol>(new PaddedJsonProtocol(40 * 1024)));
        await Assert.ThrowsAnyAsync<Exception>(() => big.JoinAsync(board, 0));
    }
}

/// <summary>
/// The JSON hub protocol, except that each invocation carries an extra <c>"padding"</c> property of the given
/// size: still a well-formed message that binds to the hub method's parameters, just a big one.
/// </summary>
public sealed class PaddedJsonProtocol(int padding) : IHubProtocol
{
    private readonly JsonHubProtocol _json = new(Options.Create(Configured()));

    private static JsonHubProtocolOptions Configured()
    {
        var o = new JsonHubProtocolOptions();
        ApiExtensions.ConfigureJson(o.PayloadSerializerOptions);
        return o;
    }

    public string Name => _json.Name;
    public int Version => _json.Version;
    public TransferFormat TransferFormat => _json.TransferFormat;
    public bool IsVersionSupported(int version) => _json.IsVersionSupported(version);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HubMessage? message) =>
        _json.TryParseMessage(ref input, binder, out message);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => output.Write(GetMessageBytes(message).Span);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message)
    {
        var bytes = _json.GetMessageBytes(message);
        if (message is not InvocationMessage) return bytes;
        // {"type":1,...}<RS>  becomes  {"padding":"xxx…","type":1,...}<RS>
        var prefix = Encoding.UTF8.GetBytes($"{{\"padding\":\"{new string('x', padding)}\",");
        return prefix.Concat(bytes.Span[1..].ToArray()).ToArray();
    }
}

public sealed class SecurityTestsOnSqlite(SecurityApplication app) : SecurityTests(app), IClassFixture<SecurityApplication>;

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

[Collection(MariaDbConnectionFaults.Name)] // (its outbox finds the database unreachable 10 times a second, and clears every pool each time)
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
