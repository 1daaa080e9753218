using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// Two replicas sharing one MariaDB database and one real Redis (backplane and presence), plus a third
/// process on the same database that is not on the backplane: its writes are exactly "a backplane message
/// that was lost", since the replicas' clients never get them pushed.
/// </summary>
public sealed class ScaleOutCluster : IAsyncLifetime
{
    public readonly string Database = MariaDbApplication.NewDatabaseName();
    public Replica A { get; private set; } = null!;
    public Replica B { get; private set; } = null!;
    public Replica Isolated { get; private set; } = null!;

    public sealed class Replica(string database, Dictionary<string, string> settings) : MariaDbApplication(database, settings);

    public async Task InitializeAsync()
    {
        await MariaDbApplication.CreateDatabaseAsync(Database);
        var shared = new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = MariaDbApplication.RedisConnectionString,
            ["Realtime:HeadIntervalSeconds"] = "0.5",
            ["Realtime:PresenceTtlSeconds"] = "5", // (refreshed every 0.5 s: a tick held up on a loaded machine must not expire live viewers)
            ["Realtime:GapWaitMilliseconds"] = "100",
        };
        A = new Replica(Database, shared);
        B = new Replica(Database, shared);
        Isolated = new Replica(Database, new() { ["Realtime:HeadIntervalSeconds"] = "0.5" });
        await A.Services.MigrateTaskHubDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Isolated.DisposeAsync();
        await MariaDbApplication.DropDatabaseAsync(Database);
    }
}

public sealed class ScaleOutTests(ScaleOutCluster cluster) : IClassFixture<ScaleOutCluster>
{
    [Fact]
    public async Task ARejoinWithRedisHasItsCatchUpAndHeadBeforeJoinBoardReturns()
    {
        // A replica of its own whose periodic BoardHead never fires within the test: the cluster's (every 0.5 s) could
        // both stand in for the join's head and add a second one (seen once in CI: heads [5, 5]).
        await using var replica = new ScaleOutCluster.Replica(cluster.Database, new()
        {
            ["ConnectionStrings:Redis"] = MariaDbApplication.RedisConnectionString,
            ["Realtime:HeadIntervalSeconds"] = "3600",
        });
        var ada = await cluster.A.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var watcher = await LiveBoard.ConnectAsync(replica, ada);
        await watcher.JoinAsync(board, 0); // the board's line on this replica
        for (var i = 0; i < 5; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}" });
        Assert.True(await LiveBoard.EventuallyAsync(() => watcher.Applied == 5));

        await using var rejoining = await LiveBoard.ConnectAsync(replica, ada);
        await rejoining.JoinAsync(board, 2);

        // Sent straight to the connection by the board's line before the join's completion (not via Redis after it). The
        // .NET client may still be running its handlers for them when the invocation returns, so this waits (bounded)
        // for them to be applied; that they came over the hub, once each, and not from REST is what is checked.
        Assert.True(await LiveBoard.EventuallyAsync(() => rejoining.Applied == 5 && !rejoining.Heads.IsEmpty));
        Assert.Equal([3L, 4L, 5L], rejoining.ReceivedLive.Select(e => e.Seq));
        Assert.Equal([5L], rejoining.Heads.Select(h => h.Seq));
        Assert.Equal(0, rejoining.FetchedFromRest);
    }

    [Fact]
    public async Task ASignOutOnOneReplicaClosesTheSessionsConnectionOnTheOtherAtOnce()
    {
        // Replicas of their own whose head tick (and its access sweep) never fires within the test: only the ended
        // session's message over Redis (HubSessionEnds) can close the connection on the other replica.
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = MariaDbApplication.RedisConnectionString,
            ["Realtime:HeadIntervalSeconds"] = "3600",
        };
        await using var one = new ScaleOutCluster.Replica(cluster.Database, settings);
        await using var two = new ScaleOutCluster.Replica(cluster.Database, new(settings));
        var ada = await one.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var laptop = await one.LogInAsync(ada);
        await using var onTwo = await LiveBoard.ConnectAsync(two, laptop, handover: true);
        await onTwo.JoinAsync(board, 0);
        await using var kept = await LiveBoard.ConnectAsync(two, ada, handover: true); // her other session, same replica
        await kept.JoinAsync(board, 0);

        await (await laptop.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = laptop.RefreshToken })).Json(HttpStatusCode.NoContent);

        Assert.True(await LiveBoard.EventuallyAsync(() => !onTwo.Connected, 5), "the signed-out session's connection on the other replica is still open");
        Assert.True(kept.Connected);
    }

    [Fact]
    public async Task AWriteOnOneReplicaReachesAClientOnTheOther()
    {
        var ada = await cluster.A.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var onB = await LiveBoard.ConnectAsync(cluster.B, ada);
        await onB.JoinAsync(board, 0);

        for (var i = 0; i < 10; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}" });

        Assert.True(await LiveBoard.EventuallyAsync(() => onB.ReceivedLive.Count >= 10));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), onB.ReceivedLive.Select(e => e.Seq).Order());
        Assert.Equal(10, onB.Applied);
    }

    [Fact]
    public async Task ALostPushIsReadFromTheLogAtTheHeadTickAndSentLiveByTheReplica()
    {
        var ada = await cluster.A.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var onB = await LiveBoard.ConnectAsync(cluster.B, ada);
        await onB.JoinAsync(board, 0);
        await ada.CreateTaskAsync(board, new { title = "pushed" });
        Assert.True(await LiveBoard.EventuallyAsync(() => onB.Applied == 1));

        // Written through a process that is not on the backplane: committed, never pushed to B's client.
        var isolatedClient = cluster.Isolated.ClientWithToken(ada.AccessToken);
        for (var i = 0; i < 3; i++)
            await (await isolatedClient.PostAsync($"/api/boards/{board}/tasks", System.Net.Http.Json.JsonContent.Create(new { title = $"lost {i}" }))).Json(HttpStatusCode.Created);

        // The last events of a now quiet board: only B's periodic head read reveals them. B's line reads them from the
        // log once and sends them live, and the client fetches nothing itself.
        Assert.True(await LiveBoard.EventuallyAsync(() => onB.Applied == 4));
        Assert.Equal([1L, 2L, 3L, 4L], onB.AppliedEvents.Select(e => e.Seq));
        Assert.Equal([1L, 2L, 3L, 4L], onB.ReceivedLive.Select(e => e.Seq));
        Assert.Equal(0, onB.FetchedFromRest);
        // Once caught up, the heads go on: the line sends them (after its events) when it is not behind.
        Assert.True(await LiveBoard.EventuallyAsync(() => onB.Heads.Any(h => h.Seq == 4)));
    }

    [Fact]
    public async Task ALaterEventWaitsForTheEarlierOneWhichIsReadFromTheLogAndBothArriveInOrder()
    {
        var ada = await cluster.A.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var onA = await LiveBoard.ConnectAsync(cluster.A, ada);
        await onA.JoinAsync(board, 0);

        // Seq 1 is committed by a process not on the backplane (its push is lost); seq 2 is pushed from B.
        var isolatedClient = cluster.Isolated.ClientWithToken(ada.AccessToken);
        await (await isolatedClient.PostAsync($"/api/boards/{board}/tasks", System.Net.Http.Json.JsonContent.Create(new { title = "lost" }))).Json(HttpStatusCode.Created);
        var bOnB = cluster.B.ClientWithToken(ada.AccessToken);
        await (await bOnB.PostAsync($"/api/boards/{board}/tasks", System.Net.Http.Json.JsonContent.Create(new { title = "pushed" }))).Json(HttpStatusCode.Created);

        // A holds seq 2 back until seq 1 is there, reads it from the event log, and pushes both, in order.
        Assert.True(await LiveBoard.EventuallyAsync(() => onA.ReceivedLive.Count >= 2));
        Assert.Equal([(1L, "lost"), (2L, "pushed")], onA.ReceivedLive.Select(e => (e.Seq, e.Task!.Title)));
    }

    [Fact]
    public async Task ConcurrentWritesThroughBothReplicasReachEveryClientInSeqOrderWithoutGaps()
    {
        var ada = await cluster.A.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var onA = await LiveBoard.ConnectAsync(cluster.A, ada);
        await onA.JoinAsync(board, 0);
        await using var onB = await LiveBoard.ConnectAsync(cluster.B, ada);
        await onB.JoinAsync(board, 0);
        var viaA = cluster.A.ClientWithToken(ada.AccessToken);
        var viaB = cluster.B.ClientWithToken(ada.AccessToken);

        const int writes = 60;
        await Parallel.ForAsync(0, writes, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var client = i % 2 == 0 ? viaA : viaB;
            await (await client.PostAsync($"/api/boards/{board}/tasks", System.Net.Http.Json.JsonContent.Create(new { title = $"t{i}" }))).Json(HttpStatusCode.Created);
        });

        var expected = Enumerable.Range(1, writes).Select(i => (long)i).ToList();
        Assert.True(await LiveBoard.EventuallyAsync(() => onA.ReceivedLive.Count >= writes && onB.ReceivedLive.Count >= writes));
        Assert.Equal(expected, onA.ReceivedLive.Select(e => e.Seq)); // exactly 1..60 in arrival order: no gap, no swap, no duplicate
        Assert.Equal(expected, onB.ReceivedLive.Select(e => e.Seq));
    }

    [Fact]
    public async Task PresenceIsSharedAcrossReplicasAndADeadReplicasViewersExpire()
    {
        var ada = await cluster.A.SignUpAsync("Ada");
        var bob = await cluster.A.SignUpAsync("Bob");
        var cy = await cluster.A.SignUpAsync("Cy");
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await ada.AddMemberAsync(board, cy);
        await using var adaOnA = await LiveBoard.ConnectAsync(cluster.A, ada);
        await adaOnA.JoinAsync(board, 0);
        await using var bobOnB = await LiveBoard.ConnectAsync(cluster.B, bob);
        await bobOnB.JoinAsync(board, 0);

        Assert.True(await LiveBoard.EventuallyAsync(() => adaOnA.Presence.LastOrDefault()?.Users.Count == 2));

        // Cy was on a replica that died without saying goodbye: its entry stays until it expires.
        var store = cluster.B.Services.GetRequiredService<IPresenceStore>();
        await store.AddAsync(board, "conn-on-a-dead-replica", cy.Id, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Contains(cy.Id, await store.UsersAsync(board, DateTimeOffset.UtcNow));

        Assert.True(await LiveBoard.EventuallyAsync(async () =>
            !(await store.UsersAsync(board, DateTimeOffset.UtcNow)).Contains(cy.Id)
            && adaOnA.Presence.LastOrDefault()?.Users.Count == 2));
        Assert.Equal(["Ada", "Bob"], adaOnA.Presence.Last().Users.Select(u => u.DisplayName));

        await bobOnB.StopAsync();
        Assert.True(await LiveBoard.EventuallyAsync(() => adaOnA.Presence.LastOrDefault()?.Users.Count == 1));
    }

    /// <summary>A presence entry lives <c>Realtime:PresenceTtlSeconds</c>, and each replica's tick refreshes its own viewers'
    /// entries: live viewers stay listed for more than two TTLs, while an entry nobody refreshes (its replica died) is
    /// pruned by a tick, which tells the board. On replicas of their own, whose ticks (every 0.25 s) and TTL (3 s) are
    /// fast enough to watch and slow enough that a tick held up on a loaded machine does not expire a live viewer.</summary>
    [Fact]
    public async Task LiveViewersAreRefreshedPastTheirTtlAndADeadReplicasViewerIsPrunedAndTheBoardTold()
    {
        var fast = new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = MariaDbApplication.RedisConnectionString,
            ["Realtime:HeadIntervalSeconds"] = "0.25",
            ["Realtime:PresenceTtlSeconds"] = "3",
        };
        await using var a = new ScaleOutCluster.Replica(cluster.Database, fast);
        await using var b = new ScaleOutCluster.Replica(cluster.Database, new(fast));
        var ada = await a.SignUpAsync("Ada");
        var bob = await a.SignUpAsync("Bob");
        var cy = await a.SignUpAsync("Cy");
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await ada.AddMemberAsync(board, cy);
        await using var adaOnA = await LiveBoard.ConnectAsync(a, ada);
        await adaOnA.JoinAsync(board, 0);
        await using var bobOnB = await LiveBoard.ConnectAsync(b, bob);
        await bobOnB.JoinAsync(board, 0);
        Assert.True(await LiveBoard.EventuallyAsync(() => adaOnA.Presence.LastOrDefault()?.Users.Count == 2));

        // More than two TTLs: without the ticks' refresh both entries would have expired.
        var store = b.Services.GetRequiredService<IPresenceStore>();
        await Task.Delay(TimeSpan.FromSeconds(7));
        Assert.Equal(new[] { ada.Id, bob.Id }.Order(), (await store.UsersAsync(board, DateTimeOffset.UtcNow)).Order());

        // Cy, on a replica that died: listed once the board is told, then pruned by a tick, which tells the board again.
        await store.AddAsync(board, "conn-on-a-dead-replica", cy.Id, DateTimeOffset.UtcNow.AddSeconds(2.5));
        await b.Services.GetRequiredService<BoardPresence>().BroadcastAsync(board);
        Assert.True(await LiveBoard.EventuallyAsync(() => adaOnA.Presence.LastOrDefault()?.Users.Count == 3));
        Assert.True(await LiveBoard.EventuallyAsync(() => adaOnA.Presence.LastOrDefault()?.Users.Count == 2));
        Assert.Equal(["Ada", "Bob"], adaOnA.Presence.Last().Users.Select(u => u.DisplayName));
    }

    [Fact]
    public async Task AMemberRemovedOnOneReplicaStopsReceivingOnTheOther()
    {
        var ada = await cluster.A.SignUpAsync();
        var bob = await cluster.A.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await using var bobOnB = await LiveBoard.ConnectAsync(cluster.B, bob);
        await bobOnB.JoinAsync(board, 0);
        await ada.CreateTaskAsync(board, new { title = "seen" });
        Assert.True(await LiveBoard.EventuallyAsync(() => bobOnB.Applied == 1));

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).StatusCode);
        Assert.True(await LiveBoard.EventuallyAsync(() => bobOnB.Revoked.Contains(board)));
        await using var adaOnB = await LiveBoard.ConnectAsync(cluster.B, ada);
        await adaOnB.JoinAsync(board, 1);
        await ada.CreateTaskAsync(board, new { title = "after removal" });

        // Ordered barriers. B sends a board's event to all its viewers there in one call, after handling the
        // revocation A published before it (one channel, read in order): once Ada's connection on B has it, Bob's
        // would have been sent it too. And a later change on a board Bob is still on, to his connection.
        Assert.True(await LiveBoard.EventuallyAsync(() => adaOnB.ReceivedLive.Any(e => e.Task!.Title == "after removal")));
        var own = await bob.CreateBoardAsync();
        await bobOnB.JoinAsync(own, 0);
        await bob.CreateTaskAsync(own, new { title = "bob's own" });
        Assert.True(await LiveBoard.EventuallyAsync(() => bobOnB.ReceivedLive.Any(e => e.Task!.Title == "bob's own")));

        Assert.DoesNotContain(bobOnB.ReceivedLive, e => e.Task!.Title == "after removal");
    }

    [Fact]
    public async Task ConnectionsCostRedisNoSubscriptionAndABoardsEventsNeverTakeTheHubChannel()
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(MariaDbApplication.RedisConnectionString);
        var hubChannel = StackExchange.Redis.RedisChannel.Literal($"taskhub:hub:{typeof(BoardHub).FullName}");
        var published = new ConcurrentQueue<string>();
        await redis.GetSubscriber().SubscribeAsync(hubChannel, (_, m) => published.Enqueue(System.Text.Encoding.UTF8.GetString((byte[])m!)));

        var ada = await cluster.A.SignUpAsync("Ada");
        var bob = await cluster.A.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        var viewers = new List<LiveBoard>();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var viewer = await LiveBoard.ConnectAsync(i % 2 == 0 ? cluster.A : cluster.B, i % 3 == 0 ? bob : ada);
                await viewer.JoinAsync(board, 0);
                viewers.Add(viewer);
            }
            for (var i = 0; i < 5; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}" });
            Assert.True(await LiveBoard.EventuallyAsync(() => viewers.All(v => v.ReceivedLive.Count >= 5)));

            // No Redis channel per user or group (the stock backplane subscribes one for each, and one per connection; other
            // processes on this Redis may run other code, so the check is for this test's own users and board).
            var server = redis.GetServer(redis.GetEndPoints()[0]);
            var channels = (await server.SubscriptionChannelsAsync(StackExchange.Redis.RedisChannel.Pattern("taskhub*"))).Select(c => c.ToString()).ToList();
            Assert.DoesNotContain(channels, c => c.Contains(ada.Id.ToString()) || c.Contains(bob.Id.ToString()) || c.Contains(board.ToString("N")));
            var managers = new[] { cluster.A, cluster.B }.Select(r => r.Services.GetRequiredService<HubLifetimeManager<BoardHub>>())
                .OfType<ClusterHubLifetimeManager<BoardHub>>().ToList();
            Assert.Equal(2, managers.Count);
            Assert.True(await LiveBoard.EventuallyAsync(() => managers.Sum(m => m.Counts.Connections) == 6)); // earlier tests' have closed

            // Presence went to the board's group over the hub channel; the 5 events reached every viewer through the
            // board event feed and each replica's own group, which never takes the hub channel.
            Assert.True(await LiveBoard.EventuallyAsync(() => published.Any(m => m.Contains($"board:{board:N}"))));
            Assert.DoesNotContain(published, m => m.Contains(ClusterHubLifetimeManager<BoardHub>.LocalPrefix));
            Assert.DoesNotContain(published, m => m.Contains("TaskCreated"));
        }
        finally
        {
            foreach (var v in viewers) await v.DisposeAsync();
        }
    }

    [Fact]
    public async Task ReadinessChecksRedisToo()
    {
        var ready = await cluster.A.CreateClient().GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }
}

/// <summary>Replicas share one data-protection key ring in Redis (sign-in state written by one is read by another).</summary>
public sealed class DataProtectionAcrossReplicasTests(ScaleOutCluster cluster) : IClassFixture<ScaleOutCluster>
{
    [Fact]
    public async Task WhatOneReplicaProtectsAnotherUnprotectsAndTheKeysLiveInRedis()
    {
        var a = Microsoft.AspNetCore.DataProtection.DataProtectionCommonExtensions.CreateProtector(
            cluster.A.Services.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(), "replica-test");
        var b = Microsoft.AspNetCore.DataProtection.DataProtectionCommonExtensions.CreateProtector(
            cluster.B.Services.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(), "replica-test");
        Assert.Equal("state", Microsoft.AspNetCore.DataProtection.DataProtectionCommonExtensions.Unprotect(b,
            Microsoft.AspNetCore.DataProtection.DataProtectionCommonExtensions.Protect(a, "state")));
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(MariaDbApplication.RedisConnectionString);
        Assert.True(await redis.GetDatabase().KeyExistsAsync("taskhub:data-protection-keys"));
    }
}
