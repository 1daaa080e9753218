using System.Net;
using System.Net.Http.Json;
using TaskHub.Tests.Infrastructure;
using TaskHub.Tests.Realtime;

namespace TaskHub.Tests.Auth;

/// <summary>
/// The auth throttle's counters live in Redis when scaled out. When a replica's link to Redis stalls (a proxy in front of
/// the tests' Redis stops forwarding), its log-ins and token refreshes go on: a counter waits at most
/// <c>Auth:Limits:StoreTimeoutMilliseconds</c>, then the throttle counts on this replica alone and does not ask Redis
/// again for <c>StoreRetrySeconds</c>, so its limits still hold. Before, each counter waited out the Redis client's own
/// timeout (5 s by default; 60 s here, so only the throttle's bound can answer within the test), a log-in with its four
/// counters 20 s, and then read 0: no limit at all.
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
}
