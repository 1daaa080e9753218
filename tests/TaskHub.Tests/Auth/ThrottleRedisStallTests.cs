using System.Net;
using System.Net.Http.Json;
using StackExchange.Redis;
using TaskHub.Tests.Infrastructure;
using TaskHub.Tests.Realtime;

namespace TaskHub.Tests.Auth;

/// <summary>
/// The auth throttle's counters live in Redis when scaled out. When a replica's link to Redis stalls (a proxy in front of
/// the tests' Redis stops forwarding), its log-ins and token refreshes go on: a counter waits at most
/// <c>Auth:Limits:StoreTimeoutMilliseconds</c>, then the throttle counts on this replica alone and does not ask Redis
/// again for <c>StoreRetrySeconds</c>, so its limits still hold. Before, each counter waited out the Redis client's own
/// timeout (5 s by default; 60 s here, so only the throttle's bound can answer within the test), a log-in with its four
/// counters 20 s, and then read 0: no limit at all. What it counted (or reset) alone reaches Redis once Redis answers again.
/// </summary>
public sealed class ThrottleRedisStallTests(RebalanceDatabase database) : IClassFixture<RebalanceDatabase>
{
    [Fact]
    public async Task LogInsAndRefreshesGoOnWhileTheLinkToRedisStalls()
    {
        await using var proxy = new StallingTcpProxy(MariaDbApplication.RedisConnectionString + ",syncTimeout=60000,asyncTimeout=60000");
        await using var replica = new ScaleOutCluster.Replica(database.Name, new()
        {
            ["ConnectionStrings:Redis"] = proxy.ConnectionString, ["Auth:Limits:LockoutFailures"] = "2",
        });
        var ada = await replica.SignUpAsync();
        proxy.Stall();
        try
        {
            var client = replica.CreateClient();
            client.Timeout = TimeSpan.FromSeconds(30); // (a log-in's four counters would take 240 s, a refresh's one 60 s)
            var login = await client.PostAsJsonAsync("/api/auth/login", new { email = ada.Email, password = ada.Password });
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            var refresh = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = ada.RefreshToken });
            Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);

            // The lockout (after 2 failures here) still holds, counted on this replica: then even the right password gets 429.
            for (var i = 0; i < 2; i++)
                Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/auth/login", new { email = ada.Email, password = "wrong" })).StatusCode);
            var locked = await client.PostAsJsonAsync("/api/auth/login", new { email = ada.Email, password = ada.Password });
            Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        }
        finally
        {
            proxy.Resume();
        }
    }

    private const int RetrySeconds = 5;

    private static Dictionary<string, string> Settings(StallingTcpProxy proxy, int retrySeconds = RetrySeconds) => new()
    {
        ["ConnectionStrings:Redis"] = proxy.ConnectionString, ["Auth:Limits:LockoutFailures"] = "4",
        ["Auth:Limits:StoreRetrySeconds"] = retrySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Auth:Limits:StoreTimeoutMilliseconds"] = "3000", // (after the stall every counter must answer in time, on a loaded machine too)
    };

    private static Task<HttpResponseMessage> LogInAsync(HttpClient client, TestUser user, string? password = null) =>
        client.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = password ?? user.Password });

    /// <summary>After the stall: past the period in which the replica does not ask Redis (begun, at the latest, by the last
    /// stalled request's last counter; on a loaded machine the first period can end within the stall and another begin).</summary>
    private static Task PastTheRetryPeriodAsync() => Task.Delay(TimeSpan.FromSeconds(RetrySeconds + 1.5));

    /// <summary>Three failed log-ins while the proxy is stalled or cut (<paramref name="cut"/>), then it forwards again.</summary>
    private static async Task ThreeFailedLogInsAsync(Action cut, StallingTcpProxy proxy, HttpClient client, TestUser user)
    {
        cut();
        try
        {
            for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await LogInAsync(client, user, "wrong")).StatusCode);
        }
        finally
        {
            proxy.Resume();
        }
    }

    /// <summary>The Redis key of the user's failed log-ins.</summary>
    private static string LockKey(TestUser user) => "taskhub:lock:" + TaskHub.Server.Features.Auth.User.Normalize(user.Email);

    /// <summary>The user's failed log-ins as Redis holds them, once it holds <paramref name="expected"/> (or the last read after 20 s).</summary>
    private static async Task<long> FailuresInRedisAsync(TestUser user, long expected)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(MariaDbApplication.RedisConnectionString);
        long held = 0;
        await LiveBoard.EventuallyAsync(async () => (held = (long)await redis.GetDatabase().StringGetAsync(LockKey(user))) == expected, 20);
        return held;
    }

    /// <summary>
    /// Three failed log-ins while the link stalls are counted on the replica alone. Once Redis answers again (to a log-in
    /// by someone else) the replica sends them: Redis holds 3, so every replica sees them, and a fourth failure locks the
    /// account (4 here). Before, Redis got only what it was asked after the stall.
    /// </summary>
    [Fact]
    public async Task FailuresCountedOnTheReplicaAloneReachRedisWhenItAnswersAgain()
    {
        await using var proxy = new StallingTcpProxy(MariaDbApplication.RedisConnectionString + ",syncTimeout=60000,asyncTimeout=60000");
        await using var replica = new ScaleOutCluster.Replica(database.Name, Settings(proxy));
        var ada = await replica.SignUpAsync();
        var bob = await replica.SignUpAsync();
        var client = replica.CreateClient();
        await ThreeFailedLogInsAsync(proxy.Stall, proxy, client, ada);
        await PastTheRetryPeriodAsync();

        Assert.Equal(HttpStatusCode.OK, (await LogInAsync(client, bob)).StatusCode);
        Assert.Equal(3, await FailuresInRedisAsync(ada, 3));
        Assert.Equal(HttpStatusCode.Unauthorized, (await LogInAsync(client, ada, "wrong")).StatusCode);
        Assert.Equal(4, await FailuresInRedisAsync(ada, 4));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LogInAsync(client, ada)).StatusCode);
    }

    /// <summary>
    /// As above, but after the stall nobody asks this replica anything: once its retry period is over it sends the three
    /// failures on its own. Before, an idle replica kept them until its next call to Redis (forty-seventh round's "found,
    /// not mended").
    /// </summary>
    [Fact]
    public async Task AReplicaAskedNothingMoreSendsWhatItCountedAloneOnItsOwn()
    {
        await using var proxy = new StallingTcpProxy(MariaDbApplication.RedisConnectionString + ",syncTimeout=60000,asyncTimeout=60000");
        await using var replica = new ScaleOutCluster.Replica(database.Name, Settings(proxy));
        var ada = await replica.SignUpAsync();
        var client = replica.CreateClient();
        await ThreeFailedLogInsAsync(proxy.Stall, proxy, client, ada);

        Assert.Equal(3, await FailuresInRedisAsync(ada, 3)); // (within 20 s; the retry period is 5)
    }

    /// <summary>
    /// Redis down (the proxy closes and refuses connections), every counter asked each time (no retry period): the Redis
    /// client fails each command in its backlog without sending it, so the replica keeps the count owed, and the three
    /// failures reach Redis once it is back. Without that, each count that failed to go was forgotten by Redis.
    /// </summary>
    [Fact]
    public async Task CountsTheRedisClientNeverSentAreSentOnceRedisIsBack()
    {
        await using var proxy = new StallingTcpProxy(MariaDbApplication.RedisConnectionString + ",asyncTimeout=1000,syncTimeout=1000,connectTimeout=1000");
        await using var replica = new ScaleOutCluster.Replica(database.Name, Settings(proxy, retrySeconds: 0));
        var ada = await replica.SignUpAsync();
        var bob = await replica.SignUpAsync();
        var client = replica.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(60);
        await ThreeFailedLogInsAsync(proxy.Cut, proxy, client, ada);

        // Once the Redis client has connected again, someone else's log-in gets an answer from Redis and starts the sending.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(MariaDbApplication.RedisConnectionString);
        long held = 0;
        for (var i = 0; i < 30 && (held = (long)await redis.GetDatabase().StringGetAsync(LockKey(ada))) != 3; i++)
        {
            await LogInAsync(client, bob);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(3, held);
    }

    /// <summary>
    /// Three failed log-ins counted in Redis, then a stall, and a log-in with the right password on the replica alone
    /// (which clears the failures). Once Redis answers again a fourth failure does not lock the account: the clearing
    /// reached Redis first. Before, Redis still held the three, and the fourth locked the account out.
    /// </summary>
    [Fact]
    public async Task ALogInThatClearedTheFailuresOnTheReplicaAloneClearsThemInRedisToo()
    {
        await using var proxy = new StallingTcpProxy(MariaDbApplication.RedisConnectionString + ",syncTimeout=60000,asyncTimeout=60000");
        await using var replica = new ScaleOutCluster.Replica(database.Name, Settings(proxy));
        var ada = await replica.SignUpAsync();
        var client = replica.CreateClient();
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await LogInAsync(client, ada, "wrong")).StatusCode);
        proxy.Stall();
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await LogInAsync(client, ada)).StatusCode);
        }
        finally
        {
            proxy.Resume();
        }
        await PastTheRetryPeriodAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, (await LogInAsync(client, ada, "wrong")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LogInAsync(client, ada)).StatusCode);
    }
}
