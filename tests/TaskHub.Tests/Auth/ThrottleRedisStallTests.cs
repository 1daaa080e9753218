using System.Net;
using System.Net.Http.Json;
using TaskHub.Tests.Infrastructure;
using TaskHub.Tests.Realtime;

namespace TaskHub.Tests.Auth;

/// <summary>
/// The auth throttle's counters live in Redis when scaled out. When a replica's link to Redis stalls (a proxy in front of
/// the tests' Redis stops forwarding), its log-ins and token refreshes go on: a counter waits at most
/// <c>Auth:Limits:StoreTimeoutMilliseconds</c>, then the throttle fails open and does not ask Redis again for
/// <c>StoreRetrySeconds</c>. Before, each counter waited out the Redis client's own timeout (5 s by default; 60 s here,
/// so only the throttle's bound can answer within the test): a log-in, with four counters, took 20 s.
/// </summary>
public sealed class ThrottleRedisStallTests(RebalanceDatabase database) : IClassFixture<RebalanceDatabase>
{
    [Fact]
    public async Task LogInsAndRefreshesGoOnWhileTheLinkToRedisStalls()
    {
        await using var proxy = new StallingTcpProxy(MariaDbApplication.RedisConnectionString + ",syncTimeout=60000,asyncTimeout=60000");
        await using var replica = new ScaleOutCluster.Replica(database.Name, new() { ["ConnectionStrings:Redis"] = proxy.ConnectionString });
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
        }
        finally
        {
            proxy.Resume();
        }
    }
}
