using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TaskHub.Server.Data;
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
        var settings = Settings();
        A = new ScaleOutCluster.Replica(Database, settings);
        B = new ScaleOutCluster.Replica(Database, settings);
        await A.Services.MigrateTaskHubDatabaseAsync();
    }

    public async Task DisposeAsync()
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
            for (var i = 0; i < 3; i++) await WriteRoundAsync(round++);
            await published.Task.WaitAsync(TimeSpan.FromSeconds(30)); // (times out, failing the test, if no event was published; 10 s ran out once in CI)
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
