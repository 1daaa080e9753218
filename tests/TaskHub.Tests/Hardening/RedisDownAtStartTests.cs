using System.Net;
using System.Net.Http.Json;
using TaskHub.Tests.Infrastructure;
using TaskHub.Tests.Realtime;

namespace TaskHub.Tests.Hardening;

/// <summary>Two replicas whose Redis (the fixture's own) is not running when they start.</summary>
public sealed class RedisDownAtStartCluster : RedisOutageCluster
{
    protected override bool RedisRunsAtStart => false;

    protected override Dictionary<string, string> Settings() => new()
    {
        ["ConnectionStrings:Redis"] = $"127.0.0.1:{Redis.Port},connectTimeout=1000,syncTimeout=1000",
        ["Realtime:HeadIntervalSeconds"] = "3600", // (no head tick: what the viewer gets, it gets pushed)
        ["Realtime:HeadIntervalSecondsWithoutRedis"] = "3600", // (nor head reads while Redis is down)
        ["Realtime:GapWaitMilliseconds"] = "100",
        ["Jobs:ServerEnabled"] = "false",
    };
}

public sealed class RedisDownAtStartTests(RedisDownAtStartCluster cluster) : IClassFixture<RedisDownAtStartCluster>
{
    [Fact]
    public async Task AReplicaStartedWhileRedisIsDownPushesToItsOwnViewersAndHearsTheOthersOnceRedisIsBack()
    {
        var ada = await cluster.A.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var viewer = await LiveBoard.ConnectAsync(cluster.A, ada);
        await viewer.JoinAsync(board, 0);

        // Redis down: the replica's own writes reach its own viewer, each pushed (none waits for the last one's
        // publish to time out, 1 s each here: 20 in series would take 20 s).
        for (var i = 0; i < 20; i++) await ada.CreateTaskAsync(board, new { title = $"while down {i}" });
        Assert.True(await LiveBoard.EventuallyAsync(() => viewer.Applied == 20, 10));
        Assert.Equal(Enumerable.Range(1, 20).Select(s => (long)s), viewer.ReceivedLive.Select(e => e.Seq));

        // Redis back: the feed subscribes (it kept trying), so another replica's writes arrive here live.
        await cluster.Redis.StartAsync();
        var viaB = cluster.B.ClientWithToken(ada.AccessToken);
        var n = 20;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!viewer.ReceivedLive.Any(e => e.Seq > 20) && DateTime.UtcNow < deadline)
        {
            await (await viaB.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = $"from b {n}" })).Json(HttpStatusCode.Created);
            n++;
            await Task.Delay(250);
        }
        Assert.Contains(viewer.ReceivedLive, e => e.Seq > 20);
        Assert.True(await LiveBoard.EventuallyAsync(() => viewer.Applied == n));
        Assert.Equal(Enumerable.Range(1, n).Select(s => (long)s), viewer.AppliedEvents.Select(e => e.Seq)); // none lost, none twice
    }
}
