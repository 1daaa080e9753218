using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Features.Realtime;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// A client that reads slower than its events come, or stopped reading, holds back no other board on its replica: a
/// write to it waits at most <c>Realtime:SlowClientWaitMilliseconds</c>, then finishes on its own while the board's
/// line goes on, and its later events queue behind it in order. Past <c>Realtime:MaxQueuedPerSlowClient</c> queued
/// messages the connection is aborted. Over real TCP (Kestrel on loopback; the test server's WebSockets have no
/// back-pressure), with a client whose socket receive buffer is small and which stops reading; SignalR's own send
/// timeout is off, so nothing else ends the stall.
/// </summary>
public abstract class SlowClientTests(SlowClientTests.KestrelApplication app)
{
    protected KestrelApplication Fixture => app;

    /// <summary>TaskHub on Kestrel on a loopback port of its own, two feed partitions.</summary>
    public abstract class KestrelApplication : SqliteApplication
    {
        /// <param name="waitMs">Realtime:SlowClientWaitMilliseconds.</param>
        /// <param name="maxQueued">Realtime:MaxQueuedPerSlowClient.</param>
        /// <param name="maxPerFrame">Realtime:MaxEventsPerFrame.</param>
        protected KestrelApplication(int waitMs, int maxQueued, int maxPerFrame)
        {
            UseKestrel(0);
            Settings["Realtime:FeedPartitions"] = "2";
            Settings["Realtime:TransportSendTimeoutSeconds"] = "0";
            Settings["Realtime:SlowClientWaitMilliseconds"] = waitMs.ToString();
            Settings["Realtime:MaxQueuedPerSlowClient"] = maxQueued.ToString();
            Settings["Realtime:MaxEventsPerFrame"] = maxPerFrame.ToString();
        }

        public Uri Address
        {
            get
            {
                StartServer();
                var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
                return new Uri(address.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1") + "/");
            }
        }

        public int HubConnections => ((ClusterHubLifetimeManager<BoardHub>)Services.GetRequiredService<HubLifetimeManager<BoardHub>>()).Counts.Connections;
    }

    /// <summary>A board's first event, a task creation with a description of 10,000 characters (~10 KB a frame).</summary>
    private static async Task<BoardEvent> BigEventAsync(TestUser user, TaskHubApplication app)
    {
        var source = await user.CreateBoardAsync();
        await user.CreateTaskAsync(source, new { title = "big", description = new string('x', TaskRules.DescriptionMax) });
        return (await FeedEvents.CopiedAsync(app, source, source)).Single();
    }

    /// <summary>About 10 MB: more than the socket buffers and pipes between the replica and a client hold.</summary>
    protected const int Burst = 1_000;

    /// <summary>A client on one board that stopped reading, a viewer of another board of the same delivery line, and the
    /// burst of big events to the first board (Burst of them, seqs 1…Burst) handed to the feed as if committed.</summary>
    private protected async Task<(RawSocketHub Slow, Guid SlowBoard, RawSocketHub Viewer, Guid Other)> StallAsync()
    {
        var ada = await app.SignUpAsync();
        var feed = app.Services.GetRequiredService<BoardEventFeed>();
        var big = await BigEventAsync(ada, app);
        var small = (await FeedEvents.CopiedAsync(app, await FeedEvents.SourceAsync(ada, 1), Guid.Empty)).Single();
        var slowBoard = await ada.CreateBoardAsync();
        Guid other;
        do other = await ada.CreateBoardAsync();
        while (feed.PartitionOf(other) != feed.PartitionOf(slowBoard));
        var slow = await RawSocketHub.ConnectAsync(app.Address, ada, receiveBuffer: 4_096);
        await slow.InvokeAsync("JoinBoard", slowBoard, 0);
        var viewer = await RawSocketHub.ConnectAsync(app.Address, ada, receiveBuffer: 64 * 1_024);
        await viewer.InvokeAsync("JoinBoard", other, 0);
        slow.Pause();
        for (var seq = 1; seq <= Burst; seq++) await feed.PublishAsync(FeedEvents.As(big, slowBoard, seq));
        await feed.PublishAsync(FeedEvents.As(small, other, 1));
        return (slow, slowBoard, viewer, other);
    }
}

/// <summary>Every write of the burst may queue (no bound reached): the client gets all of it, in order, once it reads.
/// (The two classes share a collection, so one's slow client never moves the other's process-wide counters.)</summary>
[Collection(nameof(SlowClientTests))]
public sealed class SlowClientTestsQueueing(SlowClientTestsQueueing.App app) : SlowClientTests(app), IClassFixture<SlowClientTestsQueueing.App>
{
    [Fact]
    public async Task AClientThatStopsReadingHoldsBackNoOtherBoardAndGetsEveryEventInOrderOnceItReadsAgain()
    {
        var leftBefore = RealtimeMetrics.SlowClientWritesLeft.Value;
        var (slow, slowBoard, viewer, other) = await StallAsync();
        await using var _1 = slow;
        await using var _2 = viewer;

        Assert.True(await LiveBoard.EventuallyAsync(() => viewer.EventSeqs(other).Any(), seconds: 20),
            "the other board's event was held back by a client that stopped reading");
        Assert.True(RealtimeMetrics.SlowClientWritesLeft.Value > leftBefore, "no write was left to finish on its own: the burst never filled the client's buffers");

        slow.Resume();
        Assert.True(await LiveBoard.EventuallyAsync(() => slow.EventSeqs(slowBoard).Count() >= Burst, seconds: 60),
            $"the client got {slow.EventSeqs(slowBoard).Count()} of {Burst} events once it read again");
        Assert.Equal(Enumerable.Range(1, Burst).Select(i => (long)i), slow.EventSeqs(slowBoard));
        Assert.Equal(2, Fixture.HubConnections);
    }

    public sealed class App() : KestrelApplication(waitMs: 200, maxQueued: 100_000, maxPerFrame: 64);
}

/// <summary>Each event a frame of its own, a wait of 1 s and a bound of 20 queued messages.</summary>
[Collection(nameof(SlowClientTests))]
public sealed class SlowClientTestsBounded(SlowClientTestsBounded.App app) : SlowClientTests(app), IClassFixture<SlowClientTestsBounded.App>
{
    [Fact]
    public async Task AClientStuckPastTheQueueBoundIsAbortedAndTheLineDoesNotWaitForItsQueuedWrites()
    {
        var abortedBefore = RealtimeMetrics.SlowClientsAborted.Value;
        var (slow, slowBoard, viewer, other) = await StallAsync();
        await using var _1 = slow;
        await using var _2 = viewer;

        // Each event is a frame of its own here and the wait is 1 s: had the line waited for each write queued behind the
        // first unfinished one, the bound's 20 would hold the other board's event back for 20 s or more.
        Assert.True(await LiveBoard.EventuallyAsync(() => viewer.EventSeqs(other).Any(), seconds: 15),
            "the other board's event was held back by a client that stopped reading");
        Assert.True(await LiveBoard.EventuallyAsync(() => Fixture.HubConnections == 1, seconds: 15), "the stuck client's connection is still open");
        Assert.Equal(1, RealtimeMetrics.SlowClientsAborted.Value - abortedBefore);

        // The client reads again and finds its connection ended (its TCP connection was reset, which drops what its
        // socket still held, so it may have got nothing): what it did get is the burst's start, in order, and it would
        // rejoin from there.
        slow.Resume();
        Assert.True(await LiveBoard.EventuallyAsync(() => slow.Closed, seconds: 15), "the client never saw its connection end");
        var got = slow.EventSeqs(slowBoard).ToList();
        Assert.InRange(got.Count, 0, Burst - 1);
        Assert.Equal(Enumerable.Range(1, got.Count).Select(i => (long)i), got);
    }

    public sealed class App() : KestrelApplication(waitMs: 1_000, maxQueued: 20, maxPerFrame: 1);
}
