using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;
using TaskHub.Tests.Realtime;

namespace TaskHub.Tests.Hardening;

/// <summary>A Redis of this fixture's own (so stopping it disturbs no other test), on a free loopback port.</summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    public int Port { get; } = FreePort();
    private Process? _process;

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public async Task StartAsync()
    {
        _process = Process.Start(new ProcessStartInfo("redis-server",
            $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly no --daemonize no") { RedirectStandardOutput = true, UseShellExecute = false })!;
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) { await Task.Delay(50); }
        }
        throw new InvalidOperationException("The private Redis did not start.");
    }

    /// <summary>Stops the process this fixture started (by its own handle, nothing else).</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

/// <summary>Two replicas on a Redis of their own (<see cref="PrivateRedis"/>), running when they start unless a subclass says.</summary>
public class RedisOutageCluster : IAsyncLifetime
{
    public PrivateRedis Redis { get; } = new();
    public readonly string Database = MariaDbApplication.NewDatabaseName();
    public ScaleOutCluster.Replica A { get; private set; } = null!;
    public ScaleOutCluster.Replica B { get; private set; } = null!;

    protected virtual bool RedisRunsAtStart => true;

    /// <summary>Replica A's settings: <see cref="Settings"/> unless a subclass says.</summary>
    protected virtual Dictionary<string, string> SettingsOfA() => Settings();

    /// <summary>The replicas' settings besides Redis's connection string (its timeouts included).</summary>
    protected virtual Dictionary<string, string> Settings() => new()
    {
        ["ConnectionStrings:Redis"] = $"127.0.0.1:{Redis.Port},connectTimeout=3000,syncTimeout=2000",
        ["Realtime:HeadIntervalSeconds"] = "0.5",
        ["Jobs:ServerEnabled"] = "false",
    };

    public async Task InitializeAsync()
    {
        if (RedisRunsAtStart) await Redis.StartAsync();
        await MariaDbApplication.CreateDatabaseAsync(Database);
        A = new ScaleOutCluster.Replica(Database, SettingsOfA());
        B = new ScaleOutCluster.Replica(Database, Settings());
        await A.Services.MigrateTaskHubDatabaseAsync();
    }

    public virtual async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Redis.DisposeAsync();
        await MariaDbApplication.DropDatabaseAsync(Database);
    }
}

public sealed class RedisOutageTests(RedisOutageCluster cluster, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RedisOutageCluster>
{
    [Fact]
    public async Task WhenRedisStopsForThirtySecondsWritesGoOnAndEveryBoardConvergesWithNothingLostOrDuplicated()
    {
        var ada = await cluster.A.SignUpAsync();
        var boards = new[] { await ada.CreateBoardAsync("one"), await ada.CreateBoardAsync("two") };
        var watchers = new List<LiveBoard>();
        foreach (var board in boards)
        {
            var w = await LiveBoard.ConnectAsync(cluster.B, ada);
            await w.JoinAsync(board, 0);
            watchers.Add(w);
        }
        async Task WriteRoundAsync(int round)
        {
            foreach (var board in boards)
                await (await ada.Client.PostAsync($"/api/boards/{board}/tasks",
                    System.Net.Http.Json.JsonContent.Create(new { title = $"round {round}" }))).Json(HttpStatusCode.Created);
        }

        await WriteRoundAsync(0);
        Assert.True(await LiveBoard.EventuallyAsync(() => watchers.All(w => w.Applied == 1)));

        await cluster.Redis.StopAsync();
        var outage = Stopwatch.StartNew();
        var round = 1;
        while (outage.Elapsed < TimeSpan.FromSeconds(30))
        {
            await WriteRoundAsync(round++); // REST keeps working without Redis
            await Task.Delay(1000);
        }
        // Nothing crossed the backplane, yet the boards kept up: each replica's head read comes from the database, and
        // B's line for each board read what it lacked from the log and pushed it; the clients fetched nothing.
        Assert.True(await LiveBoard.EventuallyAsync(() => watchers.All(w => w.Applied == round), 10));
        Assert.All(watchers, w => Assert.Equal(0, w.FetchedFromRest));
        Assert.All(watchers, w => Assert.Equal(Enumerable.Range(1, round).Select(i => (long)i), w.ReceivedLive.Select(e => e.Seq)));
        output.WriteLine($"during the 30 s outage: {round - 1} more events per board, all read from the log at B's head ticks and pushed");

        await cluster.Redis.StartAsync();
        var recovery = Stopwatch.StartNew();
        // The backplane comes back (a Redis with nothing on it): both replicas' feeds subscribe to its channel again.
        // Then a write's event crosses Redis again (the test listens on the channel too).
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.Redis.Port}"))
        {
            var feed = StackExchange.Redis.RedisChannel.Literal("taskhub:board-feed");
            Assert.True(await LiveBoard.EventuallyAsync(async () => await redis.GetServers()[0].SubscriptionSubscriberCountAsync(feed) == 2, 60),
                "the replicas' board feeds did not subscribe again after Redis came back");
            output.WriteLine($"both feeds subscribed again {recovery.Elapsed.TotalSeconds:0.0} s after Redis came back");
            var published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await redis.GetSubscriber().SubscribeAsync(feed, (_, _) => published.TrySetResult());
            // A round a second until an event crosses (at most 30): a publish made before a replica's own link for commands
            // is back fails, so waiting without writing could wait for nothing. (An event crossing may also be a board's
            // latest unpublished one, published again: BoardEventDispatcher.) Each replica's link reconnects on its own
            // schedule (RealtimeOptions.RedisReconnectMaxMilliseconds).
            var crossing = Stopwatch.StartNew();
            while (!published.Task.IsCompleted && crossing.Elapsed < TimeSpan.FromSeconds(30))
            {
                await WriteRoundAsync(round++);
                await Task.WhenAny(published.Task, Task.Delay(1000));
            }
            Assert.True(published.Task.IsCompleted, "no write's event crossed Redis in the 30 s after both feeds subscribed again");
            output.WriteLine($"an event crossed Redis again {recovery.Elapsed.TotalSeconds:0.0} s after Redis came back " +
                $"({crossing.Elapsed.TotalSeconds:0.0} s after both feeds subscribed)");
        }
        Assert.All(watchers, w => Assert.Equal(0, w.FetchedFromRest));

        Assert.True(await LiveBoard.EventuallyAsync(() => watchers.All(w => w.Applied == round), 30));
        foreach (var w in watchers)
        {
            Assert.Equal(Enumerable.Range(1, round).Select(i => (long)i), w.AppliedEvents.Select(e => e.Seq)); // none lost, none twice
            await w.DisposeAsync();
        }
    }
}

public sealed class RedisReconnectTests
{
    /// <summary>The Redis client's settings a replica builds: after a long outage its policy lets a link try again once the
    /// configured time has passed (the library's own policy, from the connection string alone, waits 2.5 to 10 s by then),
    /// so the link publishes go through is back within about that of Redis, not up to 10 s after the subscriptions. (The
    /// settings only; <see cref="RedisOutageTests"/> prints the effect.)</summary>
    [Theory]
    [InlineData(2_000)]
    [InlineData(700)]
    public void ALostLinkIsTriedAgainAtLeastEveryConfiguredMaximumHoweverLongRedisWasAway(int max)
    {
        var config = Server.Features.Realtime.RealtimeExtensions.RedisConfiguration("127.0.0.1:6379,connectTimeout=5000",
            new Server.Features.Realtime.RealtimeOptions { RedisReconnectMaxMilliseconds = max });
        for (var attempt = 0; attempt < 200; attempt++) // (its waits are random below the maximum)
            Assert.True(config.ReconnectRetryPolicy!.ShouldRetry(1_000 + attempt, max));
        Assert.False(config.AbortOnConnectFail);
    }
}

/// <summary>Two replicas on a Redis of their own whose head ticks never come within a test, with Redis or without (so only
/// the backplane can bring a change to the other replica), their Redis client failing a command after 1 s.</summary>
public class QuietBoardCluster : RedisOutageCluster
{
    protected virtual string HeadsWithoutRedisSeconds => "3600";

    /// <summary>A board made through replica A and watched from replica B, its first change applied there. Returns the
    /// watcher and a write of a task through A.</summary>
    public Task<(LiveBoard Watcher, Func<string, Task> WriteAsync)> WatchedFromBAsync() => WatchedAsync(writer: A, viewer: B);

    /// <summary>A board watched from <paramref name="viewer"/>, its first change (a task made through
    /// <paramref name="writer"/>) applied there. Returns the watcher and a write of a task through the writer.</summary>
    public async Task<(LiveBoard Watcher, Func<string, Task> WriteAsync)> WatchedAsync(ScaleOutCluster.Replica writer, ScaleOutCluster.Replica viewer)
    {
        var ada = await A.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var watcher = await LiveBoard.ConnectAsync(viewer, ada);
        await watcher.JoinAsync(board, 0);
        var client = writer == A ? ada.Client : writer.ClientWithToken(ada.AccessToken);
        async Task WriteAsync(string title) => await (await client.PostAsync($"/api/boards/{board}/tasks",
            System.Net.Http.Json.JsonContent.Create(new { title }))).Json(HttpStatusCode.Created);
        await WriteAsync("before");
        Assert.True(await LiveBoard.EventuallyAsync(() => watcher.Applied == 1));
        return (watcher, WriteAsync);
    }

    protected override Dictionary<string, string> Settings() => new()
    {
        ["ConnectionStrings:Redis"] = $"127.0.0.1:{Redis.Port},connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000",
        ["Realtime:HeadIntervalSeconds"] = "3600",
        ["Realtime:HeadIntervalSecondsWithoutRedis"] = HeadsWithoutRedisSeconds,
        ["Jobs:ServerEnabled"] = "false",
    };
}

/// <summary>As <see cref="QuietBoardCluster"/>, but while a replica's link to Redis is down it reads the heads every second.</summary>
public sealed class HeadsWithoutRedisCluster : QuietBoardCluster
{
    protected override string HeadsWithoutRedisSeconds => "1";
}

public sealed class HeadsWithoutRedisTests(HeadsWithoutRedisCluster cluster, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<HeadsWithoutRedisCluster>
{
    /// <summary>
    /// While Redis is down, a change made through replica A reaches the viewer on replica B from the log at B's next head
    /// read, which comes every second while B's link to Redis is down (the whole tick's interval is an hour here). Before,
    /// B's viewers waited for the whole tick (15 s by default; never here).
    /// </summary>
    [Fact]
    public async Task AChangeMadeWhileRedisIsDownReachesTheOtherReplicasViewersAtTheShorterInterval()
    {
        var (watcher, writeAsync) = await cluster.WatchedFromBAsync();
        await using var _ = watcher;
        await cluster.Redis.StopAsync();
        var down = Stopwatch.StartNew();
        await writeAsync("while Redis is down");
        Assert.True(await LiveBoard.EventuallyAsync(() => watcher.Applied == 2, 30),
            "the change made while Redis was down did not reach the other replica's viewer while it stayed down");
        output.WriteLine($"the change reached replica B's viewer {down.Elapsed.TotalSeconds:0.0} s after Redis stopped");
        Assert.Equal([1L, 2L], watcher.AppliedEvents.Select(e => e.Seq));
        Assert.Equal(0, watcher.FetchedFromRest);
    }
}

/// <summary>As <see cref="QuietBoardCluster"/>, but replica A reaches Redis through a proxy that can cut its links alone.</summary>
public class CutLinkCluster : QuietBoardCluster
{
    private StallingTcpProxy? _proxy;

    public StallingTcpProxy ProxyOfA => _proxy ??= new StallingTcpProxy(Settings()["ConnectionStrings:Redis"]);

    protected override Dictionary<string, string> SettingsOfA()
    {
        var settings = Settings();
        settings["ConnectionStrings:Redis"] = ProxyOfA.ConnectionString;
        return settings;
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            if (_proxy is not null) await _proxy.DisposeAsync();
        }
    }
}

public sealed class UnpublishedEventTests(CutLinkCluster cluster, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<CutLinkCluster>
{
    /// <summary>
    /// Replica A's links to Redis are cut (Redis itself stays up, and replica B hears it all along); a change through A,
    /// on a board nobody changes again: its publish fails, and B reads no heads (they are an hour apart, and B hears
    /// Redis). Once A's links are back, A publishes the board's latest unpublished event again, and the viewer on B gets
    /// it live, once, in order, without fetching. Before, B's viewers waited for B's next head tick (15 s by default;
    /// never here).
    /// </summary>
    [Fact]
    public async Task AQuietBoardsLastChangeWhosePublishFailedReachesTheOtherReplicaOnceTheLinkIsBack()
    {
        var (watcher, writeAsync) = await cluster.WatchedFromBAsync();
        await using var _ = watcher;
        cluster.ProxyOfA.Cut();
        await writeAsync("while replica A's links are cut");
        var dispatcher = cluster.A.Services.GetRequiredService<TaskHub.Server.Features.Realtime.BoardEventDispatcher>();
        Assert.True(await LiveBoard.EventuallyAsync(() => dispatcher.UnpublishedBoards == 1, 30), "the publish did not fail");
        Assert.Equal(1, watcher.Applied);

        cluster.ProxyOfA.Resume();
        var back = Stopwatch.StartNew();
        Assert.True(await LiveBoard.EventuallyAsync(() => watcher.Applied == 2, 30),
            "the change whose publish failed did not reach the other replica's viewer once the link was back");
        output.WriteLine($"the change reached replica B's viewer {back.Elapsed.TotalSeconds:0.0} s after replica A's links were back");
        Assert.Equal([1L, 2L], watcher.AppliedEvents.Select(e => e.Seq));
        Assert.Equal(0, watcher.FetchedFromRest);
        Assert.Equal(0, dispatcher.UnpublishedBoards);
    }
}

/// <summary>As <see cref="CutLinkCluster"/>, but while a replica does not hear the others it reads the heads at steps
/// <see cref="Step"/> apart (the whole tick still an hour): long enough for a cut of replica A's links and their return
/// to fit between two steps.</summary>
public sealed class CutLinkLongStepCluster : CutLinkCluster
{
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(10);

    protected override string HeadsWithoutRedisSeconds => Step.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The head reads a replica makes when it may have missed the others' events although it heard them at its last step
/// and hears them now: a board's last change published by replica B while replica A was not subscribed reaches A's
/// viewer from the log at A's next step, not at the whole tick (an hour here). Each waits for a step of A's to pass, so
/// what it does next falls between two steps.
/// </summary>
public sealed class HeadReadsAfterADropTests(CutLinkLongStepCluster cluster, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<CutLinkLongStepCluster>
{
    private BoardHeadService HeadsOfA => cluster.A.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<BoardHeadService>().Single();

    private BoardEventFeed FeedOfA => cluster.A.Services.GetRequiredService<BoardEventFeed>();

    /// <summary>Replica A's links are cut and come back between two of its steps, so no step saw A not hearing; a change
    /// through B meanwhile (published while A was not subscribed) reaches A's viewer at A's next step.</summary>
    [Fact]
    public async Task AChangePublishedDuringADropShorterThanAStepReachesTheViewerAtTheNextStep()
    {
        var (watcher, writeAsync) = await cluster.WatchedAsync(writer: cluster.B, viewer: cluster.A);
        await using var _ = watcher;
        await AfterAStepAsync(BoardHeadService.HeadRead.HeardAgain);

        var reads = ReadsOfA();
        var since = Stopwatch.StartNew();
        await MissedByAAsync(writeAsync);
        Assert.True(since.Elapsed < CutLinkLongStepCluster.Step - TimeSpan.FromSeconds(1), $"the drop took {since.Elapsed.TotalSeconds:0.0} s, too close to a step");
        Assert.Equal(reads, ReadsOfA()); // (no step came meanwhile)

        Assert.True(await LiveBoard.EventuallyAsync(() => watcher.Applied == 2, 20), "the change published while replica A was not subscribed did not reach its viewer");
        output.WriteLine($"the change reached replica A's viewer {since.Elapsed.TotalSeconds:0.0} s after its links were cut");
        Assert.Equal(reads[BoardHeadService.HeadRead.Dropped] + 1, HeadsOfA.Reads(BoardHeadService.HeadRead.Dropped));
        Assert.Equal([1L, 2L], watcher.AppliedEvents.Select(e => e.Seq));
        Assert.Equal(0, watcher.FetchedFromRest);
    }

    /// <summary>A step saw replica A not hearing (and read the heads then); a change through B right after it, while A
    /// still does not hear, reaches A's viewer at A's first step hearing again (a read counted as heard_again). The cut
    /// also counts a drop, so either rule makes that read: red only with both taken out. The first alone matters when a
    /// replica does not hear without a drop (a SUBSCRIBE answered late), which is not played here.</summary>
    [Fact]
    public async Task AChangePublishedAfterTheLastStepWithoutHearingReachesTheViewerAtTheFirstStepHearingAgain()
    {
        var (watcher, writeAsync) = await cluster.WatchedAsync(writer: cluster.B, viewer: cluster.A);
        await using var _ = watcher;
        await AfterAStepAsync(BoardHeadService.HeadRead.HeardAgain); // (A hears, and the last drop is behind it)

        cluster.ProxyOfA.Cut();
        Dictionary<BoardHeadService.HeadRead, long> reads;
        try
        {
            await AfterAStepAsync(BoardHeadService.HeadRead.NotHearing);
            reads = ReadsOfA();
            await writeAsync("right after a step without hearing");
            await Task.Delay(300); // (B's publish, which A does not hear)
            Assert.Equal(1, watcher.Applied);
        }
        finally
        {
            cluster.ProxyOfA.Resume();
        }
        Assert.True(await LiveBoard.EventuallyAsync(() => FeedOfA.CanHear, 10), "replica A did not hear Redis again");
        Assert.Equal(reads, ReadsOfA()); // (A heard again before its next step)
        var heardAgain = HeadsOfA.Reads(BoardHeadService.HeadRead.HeardAgain);
        Assert.True(await LiveBoard.EventuallyAsync(() => watcher.Applied == 2, 20), "the change did not reach replica A's viewer once it heard again");
        Assert.Equal(heardAgain + 1, HeadsOfA.Reads(BoardHeadService.HeadRead.HeardAgain));
        Assert.Equal([1L, 2L], watcher.AppliedEvents.Select(e => e.Seq));
        Assert.Equal(0, watcher.FetchedFromRest);
    }

    /// <summary>Cuts replica A's links, writes through B (which publishes it; A is not subscribed) and lets A's links back,
    /// until A hears again.</summary>
    private async Task MissedByAAsync(Func<string, Task> writeAsync)
    {
        cluster.ProxyOfA.Cut();
        try
        {
            Assert.True(await LiveBoard.EventuallyAsync(() => !FeedOfA.CanHear, 5), "replica A still heard Redis");
            await writeAsync("while replica A does not hear");
            await Task.Delay(300); // (B's publish, which A does not hear)
        }
        finally
        {
            cluster.ProxyOfA.Resume();
        }
        Assert.True(await LiveBoard.EventuallyAsync(() => FeedOfA.CanHear, 10), "replica A did not hear Redis again");
    }

    /// <summary>Returns just after a step of replica A read the heads for <paramref name="why"/>; when it is
    /// <see cref="BoardHeadService.HeadRead.HeardAgain"/>, first makes A miss a step without hearing.</summary>
    private async Task AfterAStepAsync(BoardHeadService.HeadRead why)
    {
        var before = HeadsOfA.Reads(why);
        if (why == BoardHeadService.HeadRead.HeardAgain)
        {
            cluster.ProxyOfA.Cut();
            try
            {
                await AfterAStepAsync(BoardHeadService.HeadRead.NotHearing);
            }
            finally
            {
                cluster.ProxyOfA.Resume();
            }
        }
        Assert.True(await LiveBoard.EventuallyAsync(() => HeadsOfA.Reads(why) > before, 3 * CutLinkLongStepCluster.Step.TotalSeconds),
            $"no step of replica A read the heads for {why}");
    }

    private Dictionary<BoardHeadService.HeadRead, long> ReadsOfA() =>
        Enum.GetValues<BoardHeadService.HeadRead>().ToDictionary(r => r, r => HeadsOfA.Reads(r));
}
