using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using TaskHub.Server.Data;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>One migrated MariaDB database; each test starts its own replicas on it, with a Redis scope of their own.</summary>
public sealed class RebalanceDatabase : IAsyncLifetime
{
    public readonly string Name = MariaDbApplication.NewDatabaseName();

    public async Task InitializeAsync()
    {
        await MariaDbApplication.CreateDatabaseAsync(Name);
        await using var migrator = new ScaleOutCluster.Replica(Name, []);
        await migrator.Services.MigrateTaskHubDatabaseAsync();
    }

    public Task DisposeAsync() => MariaDbApplication.DropDatabaseAsync(Name);

    /// <summary>A replica on the real Redis, rebalancing fast: every 0.3 s, tolerance 10 % and at least 2, 10 closes/s.</summary>
    public ScaleOutCluster.Replica Replica(string scope, Dictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = MariaDbApplication.RedisConnectionString,
            ["Realtime:Rebalance:Scope"] = scope,
            ["Realtime:Rebalance:IntervalSeconds"] = "0.3",
            ["Realtime:Rebalance:TtlSeconds"] = "1.5",
            ["Realtime:Rebalance:TolerancePercent"] = "10",
            ["Realtime:Rebalance:MinExcess"] = "2",
            ["Realtime:Rebalance:ShedPerSecond"] = "10",
        };
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        return new ScaleOutCluster.Replica(Name, settings);
    }
}

/// <summary>
/// <see cref="HubRebalancer"/> with two real replicas on one Redis. The clients reconnect by themselves (SignalR's automatic
/// reconnect) through a "load balancer" that, like nginx's <c>least_conn</c>, picks the replica holding fewer connections.
/// </summary>
public sealed class RebalanceTests(RebalanceDatabase database) : IClassFixture<RebalanceDatabase>
{
    private static int Count(TaskHubApplication replica) =>
        ((ClusterHubLifetimeManager<BoardHub>)replica.Services.GetRequiredService<HubLifetimeManager<BoardHub>>()).Counts.Connections;

    private static HubRebalancer Rebalancer(TaskHubApplication replica) => replica.Services.GetRequiredService<HubRebalancer>();

    /// <summary>A client of <paramref name="user"/> on <paramref name="to"/>, joined to <paramref name="board"/>, reconnecting there.</summary>
    private static async Task<LiveBoard> JoinedAsync(TaskHubApplication to, TestUser user, Guid board)
    {
        var live = await LiveBoard.ConnectReconnectingAsync(() => to, user);
        await live.JoinAsync(board, 0);
        return live;
    }

    /// <summary><paramref name="count"/> clients of <paramref name="user"/> joined to <paramref name="board"/>, each connecting
    /// (and reconnecting) to the replica <paramref name="via"/> picks at the time; or, <paramref name="movesWhenAsked"/>, as the
    /// browser (WebSockets, <c>?handover=1</c>) without reconnecting: the test moves them, or not.</summary>
    private static async Task<List<LiveBoard>> JoinedAsync(int count, Func<TaskHubApplication> via, TestUser user, Guid board, bool movesWhenAsked = false)
    {
        var clients = new List<LiveBoard>();
        for (var i = 0; i < count; i++)
        {
            var live = movesWhenAsked ? await LiveBoard.ConnectAsync(via(), user, handover: true) : await LiveBoard.ConnectReconnectingAsync(via, user);
            await live.JoinAsync(board, 0);
            clients.Add(live);
        }
        return clients;
    }

    private static Func<TaskHubApplication> LeastConnections(TaskHubApplication a, TaskHubApplication b) => () => Count(a) <= Count(b) ? a : b;

    /// <summary>Waits (bounded) until the replica's rebalancer has decided <paramref name="ticks"/> more times.</summary>
    private static async Task TicksAsync(TaskHubApplication replica, int ticks)
    {
        var from = Rebalancer(replica).Ticks;
        Assert.True(await LiveBoard.EventuallyAsync(() => Rebalancer(replica).Ticks >= from + ticks), $"the rebalancer did not tick {ticks} times");
    }

    [Fact]
    public async Task AReplicaHoldingEveryoneShedsToWithinToleranceAtTheConfiguredRateSpreadOverBoardsAndStops()
    {
        var scope = Guid.NewGuid().ToString("N");
        await using var a = database.Replica(scope);
        var ada = await a.SignUpAsync("Ada");
        var bob = await a.SignUpAsync("Bob");
        Guid[] boards = [await ada.CreateBoardAsync(), await ada.CreateBoardAsync()];
        foreach (var board in boards) await ada.AddMemberAsync(board, bob);
        var clients = new List<(LiveBoard Live, Guid Board, TestUser User)>();
        var balancer = (Func<TaskHubApplication>)(() => a);
        for (var i = 0; i < 40; i++)
        {
            var (board, user) = (boards[i % 2], i / 2 % 2 == 0 ? ada : bob);
            var live = await LiveBoard.ConnectReconnectingAsync(() => balancer(), user);
            await live.JoinAsync(board, 0);
            clients.Add((live, board, user));
        }
        try
        {
            Assert.Equal(0, Rebalancer(a).Shed); // alone in its scope: one replica, nothing to move

            // B comes (back) up, holding none: fair share 20, tolerance max(2, 10 % of 20) = 2, so A may hold 22 and sheds 18.
            var shedAt = new System.Collections.Concurrent.ConcurrentQueue<long>(); // when A asked each connection to go
            Rebalancer(a).Shedding += _ => shedAt.Enqueue(Stopwatch.GetTimestamp());
            await using var b = database.Replica(scope);
            _ = b.Server;
            balancer = LeastConnections(a, b);
            Assert.True(await LiveBoard.EventuallyAsync(() => Count(a) == 22 && Count(b) == 18, 30), $"A {Count(a)}, B {Count(b)}");
            Assert.True(await LiveBoard.EventuallyAsync(() => clients.Sum(c => c.Live.Rejoined) == 18));

            await TicksAsync(a, 10); // past the move's window (TTL 1.5 s + 2 × 0.3 s): it has stopped
            Assert.Equal((22, 18), (Count(a), Count(b)));
            Assert.Equal(18, Rebalancer(a).Shed);
            Assert.Equal(0, Rebalancer(b).Shed);

            // Paced: 18 closes at 10/s take at least 1.7 s (unpaced they would all go within milliseconds) …
            var closed = shedAt.ToList();
            Assert.Equal(18, closed.Count);
            Assert.Equal(18, clients.Sum(c => c.Live.ClosedAt.Count)); // and each client was told and reconnected
            var span = Stopwatch.GetElapsedTime(closed[0], closed[^1]).TotalSeconds;
            Assert.True(span >= 1.7 * 0.95, $"18 closes took {span:0.00} s; at 10/s they take ≥ 1.7 s");
            // … one at a time (a slice every tenth of a second at 10/s), never a tick's worth (3) at once.
            var gaps = closed.Zip(closed.Skip(1), (x, y) => Stopwatch.GetElapsedTime(x, y).TotalSeconds).ToList();
            Assert.True(gaps.Min() >= 0.09, $"two closes {gaps.Min():0.000} s apart");

            // Spread: each board gives up the same share (9 of its 20), and within a board both people take turns.
            var shed = clients.Where(c => c.Live.Rejoined > 0).ToList();
            Assert.Equal([9, 9], boards.Select(board => shed.Count(c => c.Board == board)));
            Assert.All(new[] { ada, bob }, u => Assert.InRange(shed.Count(c => c.User == u), 8, 10));
        }
        finally
        {
            foreach (var c in clients) await c.Live.DisposeAsync();
        }
    }

    [Fact]
    public async Task AReplicaWarmingUpIsSentNoConnectionsUntilItsWarmUpHasPassedButCountsForAHandover()
    {
        var scope = Guid.NewGuid().ToString("N");
        await using var a = database.Replica(scope);
        var ada = await a.SignUpAsync("Ada");
        var board = await ada.CreateBoardAsync();
        var balancer = (Func<TaskHubApplication>)(() => a);
        var clients = await JoinedAsync(20, () => balancer(), ada, board);
        try
        {
            // B comes up warming for 6 s. Without the warm-up A would shed 9 towards it once its excess had lasted a count's
            // life (1.5 s): for ~4 s after B is counted (12 of A's ticks at 0.3 s) A sheds nothing, and leaves B out.
            await using var b = database.Replica(scope, new() { ["Realtime:Rebalance:WarmUpSeconds"] = "6" });
            _ = b.Server;
            balancer = LeastConnections(a, b);
            Assert.True(await LiveBoard.EventuallyAsync(async () => (await Rebalancer(a).PeersAsync()).Live == 1), "B was never counted live");
            var warmUpEnds = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 6;
            await TicksAsync(a, 12);
            Assert.True(Stopwatch.GetTimestamp() < warmUpEnds, "the machine was too slow to look inside the warm-up");
            Assert.Equal(0, Rebalancer(a).Shed);
            Assert.Equal(1, Rebalancer(a).Last!.Replicas); // B is no destination yet …
            Assert.Equal(1, (await Rebalancer(a).PeersAsync()).Live); // … but is live for a handover

            // Once B's warm-up has passed, A sheds down to its share: 10 and 10 (tolerance 2: A may hold 12, sheds 8).
            Assert.True(await LiveBoard.EventuallyAsync(() => Count(a) == 12 && Count(b) == 8, 30), $"A {Count(a)}, B {Count(b)}");
            Assert.Equal(2, Rebalancer(a).Last!.Replicas);
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task ShedClientsRejoinFromTheirLastSeqAndApplyEveryEventExactlyOnceWhileWritesGoOn()
    {
        var scope = Guid.NewGuid().ToString("N");
        await using var a = database.Replica(scope);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var balancer = (Func<TaskHubApplication>)(() => a);
        var clients = await JoinedAsync(30, () => balancer(), ada, board);
        try
        {
            await using var b = database.Replica(scope);
            _ = b.Server;
            balancer = LeastConnections(a, b);
            HttpClient[] writers = [a.ClientWithToken(ada.AccessToken), b.ClientWithToken(ada.AccessToken)];
            const int writes = 60;
            for (var i = 0; i < writes; i++) // through both replicas, while A sheds 13 (allowed 15 + 2 = 17)
            {
                await (await writers[i % 2].PostAsync($"/api/boards/{board}/tasks", JsonContent.Create(new { title = $"t{i}" }))).Json(HttpStatusCode.Created);
                await Task.Delay(50);
            }

            Assert.True(await LiveBoard.EventuallyAsync(() => Count(a) == 17 && Count(b) == 13, 30), $"A {Count(a)}, B {Count(b)}");
            Assert.True(await LiveBoard.EventuallyAsync(() => clients.All(c => c.Applied == writes)));
            Assert.Equal(13, clients.Count(c => c.Rejoined > 0));
            var expected = Enumerable.Range(1, writes).Select(i => (long)i).ToList();
            Assert.All(clients, c =>
            {
                Assert.Equal(expected, c.AppliedEvents.Select(e => e.Seq)); // every event, in order
                // None twice, but for what the rejoin asked for: the .NET client runs handlers after its receive loop, so the
                // old connection's last event or two may still be queued, not applied, when it rejoins from what it applied
                // (the browser's handlers run in order, before it reconnects). Anything else received twice is a server bug.
                var twice = c.ReceivedLive.Where(e => e.BoardId == board).GroupBy(e => e.Seq).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
                Assert.True(twice.All(seq => c.RejoinedFrom.Any(from => from < seq && seq <= from + 2)),
                    $"received twice: {string.Join(",", twice)}; rejoined from {string.Join(",", c.RejoinedFrom)}; received {string.Join(",", c.ReceivedLive.Select(e => e.Seq))}");
                Assert.Equal(0, c.FetchedFromRest); // the rejoin's catch-up had the missed ones
            });
            Assert.Equal(13, Rebalancer(a).Shed);
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    /// <summary>A hub connect with the caller's token to <paramref name="replica"/>: only its status matters here (503 when
    /// refused before SignalR sees it; SignalR itself answers a plain GET without an upgrade otherwise).</summary>
    private static async Task<HttpStatusCode> ConnectStatusAsync(TaskHubApplication replica, TestUser user, string query)
    {
        using var response = await replica.ClientWithToken(user.AccessToken).GetAsync("/hubs/board?" + query);
        return response.StatusCode;
    }

    /// <summary>Replica A, in a Redis scope of its own, holding <paramref name="count"/> clients of one user on one board that
    /// move when asked (the test moves them, or not), rebalancing with moves asked at once (<c>MoveWithinMs</c> 0) and the
    /// given grace; <see cref="AskingReplica.StartPeer"/> brings up replica B beside it. Disposing it disposes the clients, then A.</summary>
    private async Task<AskingReplica> AskingReplicaAsync(int count, double moveGraceSeconds)
    {
        var settings = new Dictionary<string, string>
        {
            ["Realtime:Rebalance:MoveWithinMs"] = "0",
            ["Realtime:Rebalance:MoveGraceSeconds"] = moveGraceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var scope = Guid.NewGuid().ToString("N");
        var a = database.Replica(scope, settings);
        try
        {
            var ada = await a.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            return new AskingReplica(a, ada, board, await JoinedAsync(count, () => a, ada, board, movesWhenAsked: true), () => database.Replica(scope, settings));
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }
    }

    private sealed record AskingReplica(ScaleOutCluster.Replica A, TestUser Ada, Guid Board, List<LiveBoard> Clients, Func<ScaleOutCluster.Replica> Peer) : IAsyncDisposable
    {
        /// <summary>Replica B, started, in A's scope with A's settings.</summary>
        public ScaleOutCluster.Replica StartPeer()
        {
            var b = Peer();
            _ = b.Server;
            return b;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in Clients) await c.DisposeAsync();
            await A.DisposeAsync();
        }
    }

    /// <summary>Creates a task through <paramref name="via"/> as <paramref name="user"/>.</summary>
    private static async Task CreateTaskAsync(TaskHubApplication via, TestUser user, Guid board, string title) =>
        await (await via.ClientWithToken(user.AccessToken).PostAsync($"/api/boards/{board}/tasks", JsonContent.Create(new { title }))).Json(HttpStatusCode.Created);

    [Fact]
    public async Task ClientsThatMoveWhenAskedAreAskedToMoveNotClosedAndTheSheddingReplicaRefusesMovesUntilTheyHaveGone()
    {
        await using var asking = await AskingReplicaAsync(20, moveGraceSeconds: 120);
        var (a, ada, board, clients) = (asking.A, asking.Ada, asking.Board, asking.Clients);
        // B comes up: A (20 of 20) may hold 10 + 2 and asks 8 to move; here none moves until the test moves it.
        await using var b = asking.StartPeer();
        Assert.True(await LiveBoard.EventuallyAsync(() => clients.Count(c => !c.Stopping.IsEmpty) == 8, 30), $"{clients.Count(c => !c.Stopping.IsEmpty)} asked");
        await TicksAsync(a, 5);
        var asked = clients.Where(c => !c.Stopping.IsEmpty).ToList();
        Assert.All(asked, c => Assert.Equal(new ServerStoppingDto(0, MoveReason.Rebalancing), Assert.Single(c.Stopping)));
        Assert.Equal((8, 0), (Rebalancer(a).Shed, Rebalancer(a).NotMoved));

        // Asked, not closed: all 20 are still on A and still served.
        Assert.Equal(20, Count(a));
        await CreateTaskAsync(a, ada, board, "still here");
        Assert.True(await LiveBoard.EventuallyAsync(() => clients.All(c => c.Applied == 1)), "an asked client missed an event");

        // While they are on their way, A refuses moves (a round-robin balancer would send some straight back), not other
        // connects; B takes moves.
        Assert.True(Rebalancer(a).RefusingMoves);
        var refusedBefore = RealtimeMetrics.MovesRefused.Value;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ConnectStatusAsync(a, ada, "handover=1&move=1"));
        Assert.True(RealtimeMetrics.MovesRefused.Value > refusedBefore, "taskhub_hub_moves_refused_total did not count it");
        Assert.NotEqual(HttpStatusCode.ServiceUnavailable, await ConnectStatusAsync(a, ada, "handover=1"));
        Assert.NotEqual(HttpStatusCode.ServiceUnavailable, await ConnectStatusAsync(b, ada, "handover=1&move=1"));

        // Each moves as the browser does, make before break: a new connection on B joined from its last seq, then the old one closed.
        foreach (var old in asked)
        {
            var moved = await LiveBoard.ConnectAsync(b, ada, handover: true);
            await moved.JoinAsync(board, old.Applied);
            clients.Add(moved);
            await old.DisposeAsync();
            clients.Remove(old);
        }
        Assert.True(await LiveBoard.EventuallyAsync(() => Count(a) == 12 && Count(b) == 8, 30), $"A {Count(a)}, B {Count(b)}");
        Assert.True(await LiveBoard.EventuallyAsync(() => !Rebalancer(a).RefusingMoves), "A still refuses moves after every asked client left");
        Assert.NotEqual(HttpStatusCode.ServiceUnavailable, await ConnectStatusAsync(a, ada, "handover=1&move=1"));
        await TicksAsync(a, 10);
        Assert.Equal((8, 0), (Rebalancer(a).Shed, Rebalancer(a).NotMoved)); // balanced: nobody asked again
        await CreateTaskAsync(b, ada, board, "after");
        Assert.True(await LiveBoard.EventuallyAsync(() => clients.All(c => c.Applied == 2)), "a client missed the event after the moves");
    }

    [Fact]
    public async Task AnAskingReplicaTakesMovesAgainOnceNoOtherReplicaIsLeftToTakeThem()
    {
        await using var asking = await AskingReplicaAsync(6, moveGraceSeconds: 120);
        var (a, ada) = (asking.A, asking.Ada);
        var b = asking.StartPeer();
        Assert.True(await LiveBoard.EventuallyAsync(() => Rebalancer(a).RefusingMoves, 30), "A never asked");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ConnectStatusAsync(a, ada, "handover=1&move=1"));
        await b.DisposeAsync(); // B stops (a rolling restart's next step): the asked clients have nowhere else to go
        Assert.True(await LiveBoard.EventuallyAsync(() => !Rebalancer(a).RefusingMoves, 30), "A still refuses moves alone");
        Assert.NotEqual(HttpStatusCode.ServiceUnavailable, await ConnectStatusAsync(a, ada, "handover=1&move=1"));
    }

    [Fact]
    public async Task AnAskedClientThatDoesNotMoveIsLeftWhereItIsAfterTheGraceNotClosed()
    {
        await using var asking = await AskingReplicaAsync(6, moveGraceSeconds: 1);
        var (a, ada, board, clients) = (asking.A, asking.Ada, asking.Board, asking.Clients);
        // B comes up: A may hold 3 + 2 and asks one to move, which never moves (a tab whose moves all failed).
        await using var b = asking.StartPeer();
        Assert.True(await LiveBoard.EventuallyAsync(() => Rebalancer(a).NotMoved >= 1, 30), "the grace never ran out");
        Assert.True(Rebalancer(a).Shed >= 1);
        Assert.Equal(6, Count(a)); // none closed
        await CreateTaskAsync(a, ada, board, "served");
        Assert.True(await LiveBoard.EventuallyAsync(() => clients.All(c => c.Applied == 1)), "an asked client was not served after its grace");
    }

    [Fact]
    public async Task ALoneReplicaWithRedisShedsNothing()
    {
        await using var lone = database.Replica(Guid.NewGuid().ToString("N"));
        var ada = await lone.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var clients = new List<LiveBoard>();
        try
        {
            for (var i = 0; i < 12; i++)
            {
                var live = await LiveBoard.ConnectReconnectingAsync(() => lone, ada);
                await live.JoinAsync(board, 0);
                clients.Add(live);
            }
            await TicksAsync(lone, 8); // its fair share is everything
            Assert.Equal(0, Rebalancer(lone).Shed);
            Assert.Equal(12, Count(lone));
            Assert.All(clients, c => Assert.Empty(c.ClosedAt));
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task BalancedReplicasShedNothing()
    {
        var scope = Guid.NewGuid().ToString("N");
        await using var a = database.Replica(scope);
        await using var b = database.Replica(scope);
        _ = b.Server;
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var clients = new List<LiveBoard>();
        try
        {
            for (var i = 0; i < 11; i++) clients.AddRange(await Task.WhenAll(JoinedAsync(a, ada, board), JoinedAsync(b, ada, board))); // in pairs: even at every step
            clients.Add(await JoinedAsync(a, ada, board));
            await TicksAsync(a, 8); // 12 vs 11: fair 11.5, A may hold 12 + 2
            await TicksAsync(b, 8);
            Assert.Equal((0L, 0L), (Rebalancer(a).Shed, Rebalancer(b).Shed));
            Assert.Equal((12, 11), (Count(a), Count(b)));
            Assert.All(clients, c => Assert.Empty(c.ClosedAt));
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    /// <summary>Clients joining both replicas evenly and fast: each replica's own count is fresher than the other's
    /// published one, so each sees itself ahead; with no tolerance but the minimum, that looked like an excess lasting
    /// longer than a count's TTL and connections were shed from a balanced deployment.</summary>
    [Fact]
    public async Task ABalancedRampLongerThanACountsLifeShedsNothing()
    {
        var scope = Guid.NewGuid().ToString("N");
        var tight = new Dictionary<string, string> { ["Realtime:Rebalance:TolerancePercent"] = "0" }; // the tolerance is MinExcess, 2
        await using var a = database.Replica(scope, tight);
        await using var b = database.Replica(scope, tight);
        _ = b.Server;
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var clients = new List<LiveBoard>();
        try
        {
            await TicksAsync(a, 2);
            var ramp = Stopwatch.StartNew();
            while (ramp.Elapsed < TimeSpan.FromSeconds(3.5) && clients.Count < 400) // longer than the TTL (1.5 s), evenly
                clients.AddRange(await Task.WhenAll(Enumerable.Range(0, 8).Select(i => JoinedAsync(i % 2 == 0 ? a : b, ada, board))));
            await TicksAsync(a, 4);
            await TicksAsync(b, 4);
            Assert.Equal((0L, 0L), (Rebalancer(a).Shed, Rebalancer(b).Shed));
            Assert.All(clients, c => Assert.Empty(c.ClosedAt));
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task WithoutRedisOrSwitchedOffThereIsNoRebalancer()
    {
        await using var embedded = new SqliteApplication();
        Assert.Null(embedded.Services.GetService<HubRebalancer>());
        await using var off = database.Replica(Guid.NewGuid().ToString("N"), new() { ["Realtime:Rebalance:Enabled"] = "false" });
        Assert.Null(off.Services.GetService<HubRebalancer>());
        await using var on = database.Replica(Guid.NewGuid().ToString("N"));
        Assert.NotNull(on.Services.GetService<HubRebalancer>());
    }

    [Fact]
    public async Task ATtlNotLongerThanTheIntervalFailsAtStart()
    {
        await using var bad = database.Replica(Guid.NewGuid().ToString("N"), new() { ["Realtime:Rebalance:TtlSeconds"] = "0.3" });
        var e = Assert.ThrowsAny<OptionsValidationException>(() => bad.Services);
        Assert.Contains("TtlSeconds", e.Message);
    }
}
