using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// <see cref="HubHandover"/> with two real replicas on one MariaDB and Redis: what a replica's SIGTERM runs before the
/// application stops (the SIGTERM itself, in the published app: <c>PublishedAppTests</c>).
/// </summary>
public sealed class HandoverTests(RebalanceDatabase database) : IClassFixture<RebalanceDatabase>
{
    /// <summary>Replicas that never shed (the handover, not the rebalancing, is under test) on a scope of their own. Their
    /// counts live 5 s (refreshed every 0.3 s): a refresh held up on a loaded machine must not make a live peer's count
    /// expire, which a handover reads as "nowhere to go" (<see cref="HubHandover.End.NoPeer"/>).</summary>
    private ScaleOutCluster.Replica Replica(string scope, Dictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string> { ["Realtime:Rebalance:MinExcess"] = "1000", ["Realtime:Rebalance:TtlSeconds"] = "5" };
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        return database.Replica(scope, settings);
    }

    /// <summary>Settings under which the test's pace, not a limit, ends a handover: no time limit within a test, no quiet rule.</summary>
    private static Dictionary<string, string> Patient => new() { ["Realtime:Handover:MaxSeconds"] = "60", ["Realtime:Handover:QuietSeconds"] = "0" };

    /// <summary>Two started replicas on a scope of their own.</summary>
    private Pair StartPair(Dictionary<string, string>? extra = null)
    {
        var scope = Guid.NewGuid().ToString("N");
        var pair = new Pair(Replica(scope, extra), Replica(scope, extra), scope);
        _ = pair.A.Server;
        _ = pair.B.Server;
        return pair;
    }

    private sealed record Pair(ScaleOutCluster.Replica A, ScaleOutCluster.Replica B, string Scope) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }

    private static HubRebalancer Rebalancer(TaskHubApplication replica) => replica.Services.GetRequiredService<HubRebalancer>();

    private static HubHandover Handover(TaskHubApplication replica) => replica.Services.GetRequiredService<HubHandover>();

    /// <summary>Creates a task; returns the board's seq after it.</summary>
    private static async Task<long> CreateAsync(HttpClient writer, Guid board, string title)
    {
        await (await writer.PostAsync($"/api/boards/{board}/tasks", JsonContent.Create(new { title }))).Json(HttpStatusCode.Created);
        var list = await writer.GetAsync($"/api/boards/{board}/tasks");
        return long.Parse(list.Headers.GetValues("X-Board-Seq").Single(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Opens <paramref name="count"/> WebSocket clients that move when asked on <paramref name="replica"/>, each joined to
    /// <paramref name="board"/>, into <paramref name="into"/> (so the caller disposes them, even after a failure).</summary>
    private static async Task JoinAsync(List<LiveBoard> into, TaskHubApplication replica, TestUser user, Guid board, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var live = await LiveBoard.ConnectAsync(replica, user, handover: true);
            into.Add(live);
            await live.JoinAsync(board, 0);
        }
    }

    /// <summary>Both replicas' rebalancers have read each other's counts.</summary>
    private static Task<bool> SeeEachOtherAsync(TaskHubApplication a, TaskHubApplication b) =>
        LiveBoard.EventuallyAsync(() => Rebalancer(a).Last is { Replicas: 2 } && Rebalancer(b).Last is { Replicas: 2 });

    [Fact]
    public async Task AStoppingReplicaAsksItsClientsToMoveKeepsServingThemUntilTheyHaveAndRefusesNewOnes()
    {
        await using var pair = StartPair(Patient);
        var (a, b) = (pair.A, pair.B);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var writer = b.ClientWithToken(ada.AccessToken);
        var old = new List<LiveBoard>();
        var moved = new List<LiveBoard>();
        try
        {
            await JoinAsync(old, a, ada, board, 6);
            Assert.True(await SeeEachOtherAsync(a, b), "the replicas did not count each other");
            var first = await CreateAsync(writer, board, "before");
            Assert.True(await LiveBoard.EventuallyAsync(() => old.All(c => c.Applied == first)));

            var run = Handover(a).RunAsync(CancellationToken.None);
            Assert.True(await LiveBoard.EventuallyAsync(() => old.All(c => c.Stopping.Count == 1)), "not every client was asked to move");
            Assert.All(old, c => Assert.Equal(2000, c.Stopping.Single().MoveWithinMs));
            Assert.True(Handover(a).HandingOver);

            // New hub connections go elsewhere (503 here, on the test server; a real replica has closed its listeners) …
            var refused = await a.ClientWithToken(ada.AccessToken).PostAsync("/hubs/board/negotiate?negotiateVersion=1", null);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            // … and out of the deployment's count, so B does not shed towards it.
            Assert.True(await LiveBoard.EventuallyAsync(() => Rebalancer(b).Last is { Replicas: 1 }), $"B still counts A: B {Rebalancer(b).Last} ({Rebalancer(b).Ticks} ticks), A {Rebalancer(a).Last} ({Rebalancer(a).Ticks} ticks)");

            // The clients asked to move still get every event where they are, live (no gap while they move).
            var during = await CreateAsync(writer, board, "during the handover");
            Assert.True(await LiveBoard.EventuallyAsync(() => old.All(c => c.Applied == during)));
            Assert.All(old, c => Assert.Contains(c.ReceivedLive, e => e.Seq == during));
            Assert.Equal(0, old.Sum(c => c.FetchedFromRest));

            // Make before break: each opens a connection on B, rejoins from what it applied, then closes the old one.
            // A waits for the last of them, and no longer.
            foreach (var c in old)
            {
                Assert.False(run.IsCompleted, "the handover ended while clients were still on the replica");
                var next = await LiveBoard.ConnectAsync(b, ada, handover: true);
                await next.JoinAsync(board, c.Applied);
                moved.Add(next);
                await c.DisposeAsync();
            }
            var lastLeft = System.Diagnostics.Stopwatch.StartNew();
            var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.NotNull(outcome);
            Assert.Equal((6, 0, HubHandover.End.AllMoved), (outcome.Asked, outcome.Left, outcome.Ended));
            Assert.True(lastLeft.Elapsed < TimeSpan.FromSeconds(5), $"ended {lastLeft.Elapsed.TotalSeconds:0.0} s after the last client left");

            var after = await CreateAsync(writer, board, "after");
            Assert.True(await LiveBoard.EventuallyAsync(() => moved.All(c => c.Applied == after)));
            Assert.Equal(0, moved.Sum(c => c.FetchedFromRest));
        }
        finally
        {
            foreach (var c in old.Concat(moved)) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task AConnectionWhoseHandshakeEndsAfterTheHandoverBeganIsAskedToMoveTooAndWaitedFor()
    {
        await using var pair = StartPair(Patient);
        var (a, b) = (pair.A, pair.B);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var early = await LiveBoard.ConnectAsync(a, ada, handover: true);
        await early.JoinAsync(board, 0);
        Assert.True(await SeeEachOtherAsync(a, b), "the replicas did not count each other");

        // A connect that came in before A's handover began (its WebSocket is open), whose client sends SignalR's handshake
        // only once the handover has taken its snapshot of A's connections.
        var held = await HeldHandshake.OpenAsync(a, ada);
        var run = Handover(a).RunAsync(CancellationToken.None);
        Assert.True(await LiveBoard.EventuallyAsync(() => early.Stopping.Count == 1), "the connection from before was not asked to move");
        await using var late = await held.ReleaseAsync();

        Assert.True(await LiveBoard.EventuallyAsync(() => late.Stopping.Count == 1), "the connection whose handshake ended after the handover began was not asked to move");
        Assert.Equal(2000, late.Stopping.Single().MoveWithinMs);
        // The handover waits for it as for the others: the first one leaving does not end it (it looks every 50 ms) …
        await early.DisposeAsync();
        var lifetime = (ClusterHubLifetimeManager<BoardHub>)a.Services.GetRequiredService<Microsoft.AspNetCore.SignalR.HubLifetimeManager<BoardHub>>();
        Assert.True(await LiveBoard.EventuallyAsync(() => lifetime.Counts.Connections == 1), "the first connection did not leave");
        Assert.NotSame(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(1))));
        // … and once it has moved as well, the handover ends, counting both.
        await late.DisposeAsync();
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.NotNull(outcome);
        Assert.Equal((2, 0, HubHandover.End.AllMoved), (outcome.Asked, outcome.Left, outcome.Ended));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AConnectionWhoseHandshakeEndsAfterTheHandoverStoppedWaitingIsAskedToMoveAtOnce(bool nobodyElse)
    {
        await using var pair = StartPair(Patient);
        var (a, b) = (pair.A, pair.B);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        // With nobodyElse, the handover has nobody to ask at its snapshot (it waits only for the listeners to close);
        // otherwise it asks one connection, which moves, and its wait ends.
        var early = nobodyElse ? null : await LiveBoard.ConnectAsync(a, ada, handover: true);
        if (early is not null) await early.JoinAsync(board, 0);
        Assert.True(await SeeEachOtherAsync(a, b), "the replicas did not count each other");

        var held = await HeldHandshake.OpenAsync(a, ada);
        var run = Handover(a).RunAsync(CancellationToken.None);
        if (early is not null)
        {
            Assert.True(await LiveBoard.EventuallyAsync(() => early.Stopping.Count == 1), "the connection from before was not asked to move");
            await early.DisposeAsync();
        }
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));
        if (nobodyElse) Assert.Null(outcome); // (nothing handed over)
        else Assert.Equal((1, 0, HubHandover.End.AllMoved), (outcome!.Asked, outcome.Left, outcome.Ended));

        // The handshake arrives after the handover stopped waiting, before the stop: the connection is asked to move
        // with no wait (the stop is near), rather than being served until the stop closes it.
        await using var late = await held.ReleaseAsync();
        Assert.True(await LiveBoard.EventuallyAsync(() => late.Stopping.Count == 1), "the connection whose handshake ended after the handover stopped waiting was not asked to move");
        Assert.Equal(0, late.Stopping.Single().MoveWithinMs);
    }

    [Fact]
    public async Task AConnectionWhoseHandshakeEndsAfterAHandoverFoundNowhereToMoveIsNotAsked()
    {
        await using var pair = StartPair(Patient);
        var (a, b) = (pair.A, pair.B);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var stays = await LiveBoard.ConnectAsync(a, ada, handover: true); // asked, but it does not move
        await stays.JoinAsync(board, 0);
        Assert.True(await SeeEachOtherAsync(a, b), "the replicas did not count each other");

        var held = await HeldHandshake.OpenAsync(a, ada);
        var run = Handover(a).RunAsync(CancellationToken.None);
        Assert.True(await LiveBoard.EventuallyAsync(() => stays.Stopping.Count == 1), "the connection from before was not asked to move");
        // The only other replica stops meanwhile: A's handover finds nowhere left to move to and ends.
        await SigtermAsync(b);
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal((1, 1, HubHandover.End.NoPeer), (outcome!.Asked, outcome.Left, outcome.Ended));

        // The late connection is not asked to move: there is nowhere to go. (A ServerStopping would come before the
        // answer to its join: the hub sends it before its connect ends.)
        await using var late = await held.ReleaseAsync();
        await late.JoinAsync(board, 0);
        Assert.Empty(late.Stopping);
    }

    [Fact]
    public async Task ClientsThatDoNotMoveAreLeftForTheStopOnceTheTimeLimitHasPassed()
    {
        var quick = new Dictionary<string, string> { ["Realtime:Handover:MaxSeconds"] = "1", ["Realtime:Handover:MoveWithinMs"] = "250" };
        await using var pair = StartPair(quick);
        var (a, b) = (pair.A, pair.B);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var stays = await LiveBoard.ConnectAsync(a, ada, handover: true); // asked, but it does not move
        await stays.JoinAsync(board, 0);
        Assert.True(await SeeEachOtherAsync(a, b), "the replicas did not count each other");

        var outcome = await Handover(a).RunAsync(CancellationToken.None);

        Assert.NotNull(outcome);
        Assert.Equal((1, 1, HubHandover.End.Limit), (outcome.Asked, outcome.Left, outcome.Ended));
        Assert.InRange(outcome.Took.TotalSeconds, 1, 5);
        Assert.True(await LiveBoard.EventuallyAsync(() => !stays.Stopping.IsEmpty), "the client was not asked to move");
        Assert.Equal(250, Assert.Single(stays.Stopping).MoveWithinMs);
    }

    /// <summary>A hub connection to a replica (as a client that moves when asked) whose WebSocket is open and whose
    /// SignalR handshake is held until <see cref="ReleaseAsync"/>: SignalR registers the connection only then.</summary>
    private sealed class HeldHandshake
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task<LiveBoard> _connecting = null!;

        public static async Task<HeldHandshake> OpenAsync(TaskHubApplication replica, TestUser user)
        {
            var held = new HeldHandshake();
            var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            held._connecting = LiveBoard.ConnectAsync(replica, user, handover: true, beforeHandshake: async () =>
            {
                opened.TrySetResult();
                await held._release.Task;
            });
            await opened.Task.WaitAsync(TimeSpan.FromSeconds(10));
            return held;
        }

        /// <summary>Sends the handshake; the connection once it is connected.</summary>
        public Task<LiveBoard> ReleaseAsync()
        {
            _release.SetResult();
            return _connecting.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>A task creation on <paramref name="replica"/> whose body is still on its way: counted as a request in
    /// flight (<see cref="KeepAliveRequests"/>) until <see cref="AnswerAsync"/> sends the body.</summary>
    private sealed class HeldCreation : IDisposable
    {
        private readonly System.IO.Pipelines.Pipe _body = new();
        private readonly HttpClient _client;
        private Task<HttpResponseMessage>? _response;

        private HeldCreation(HttpClient client) => _client = client;

        public static async Task<HeldCreation> StartAsync(TaskHubApplication replica, TestUser user, Guid board)
        {
            // (the test server's own handler: the factory's client buffers a request body before sending it)
            var held = new HeldCreation(new HttpClient(replica.Server.CreateHandler()) { BaseAddress = replica.Server.BaseAddress });
            held._client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", user.AccessToken);
            var content = new StreamContent(held._body.Reader.AsStream());
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            held._response = held._client.PostAsync($"/api/boards/{board}/tasks", content);
            var keepAlive = replica.Services.GetRequiredService<KeepAliveRequests>();
            Assert.True(await LiveBoard.EventuallyAsync(() => keepAlive.InFlight == 1), $"the request is not counted ({keepAlive.InFlight})");
            return held;
        }

        /// <summary>Sends the body, checks the creation answered 201, and starts a stopwatch at the answer.</summary>
        public async Task<System.Diagnostics.Stopwatch> AnswerAsync(string title)
        {
            await _body.Writer.WriteAsync(System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new { title })));
            await _body.Writer.CompleteAsync();
            await (await _response!).Json(HttpStatusCode.Created);
            return System.Diagnostics.Stopwatch.StartNew();
        }

        public void Dispose() => _client.Dispose();
    }

    /// <summary>
    /// A request that began before the handover answers without <c>Connection: close</c>, so the load balancer pools its
    /// connection; the replica must not close its listeners (which closes idle connections) nor end the handover (the
    /// host's stop closes them too) until that request has answered and <c>UpstreamIdleMs</c> has passed since
    /// (<see cref="KeepAliveRequests"/>).
    /// </summary>
    [Fact]
    public async Task AHandoverEndsOnlyOnceARequestFromBeforeItHasAnsweredAndTheBalancersIdleTimeHasPassed()
    {
        await using var pair = StartPair(Patient);
        var (a, b) = (pair.A, pair.B);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var upstreamIdle = TimeSpan.FromMilliseconds(new HandoverOptions().UpstreamIdleMs);
        var old = await LiveBoard.ConnectAsync(a, ada, handover: true);
        LiveBoard? moved = null;
        try
        {
            await old.JoinAsync(board, 0);
            Assert.True(await SeeEachOtherAsync(a, b), "the replicas did not count each other");

            // A creation whose body is still on its way when the handover starts.
            using var early = await HeldCreation.StartAsync(a, ada, board);

            var run = Handover(a).RunAsync(CancellationToken.None);
            Assert.True(await LiveBoard.EventuallyAsync(() => old.Stopping.Count == 1), "the client was not asked to move");
            moved = await LiveBoard.ConnectAsync(b, ada, handover: true);
            await moved.JoinAsync(board, old.Applied);
            await old.DisposeAsync();

            // Every client has moved and the grace (1 s) is over, yet the request from before is still in flight.
            var ended = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(3)));
            Assert.False(ended == run, "the handover ended while a request from before it was in flight");

            var answered = await early.AnswerAsync("sent before the handover");
            var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal((1, 0, HubHandover.End.AllMoved), (outcome!.Asked, outcome.Left, outcome.Ended));
            Assert.True(answered.Elapsed >= upstreamIdle - TimeSpan.FromMilliseconds(100),
                $"the handover ended {answered.Elapsed.TotalMilliseconds:0} ms after the request answered, before the balancer's idle time ({upstreamIdle.TotalMilliseconds} ms)");
        }
        finally
        {
            await old.DisposeAsync();
            if (moved is not null) await moved.DisposeAsync();
        }
    }

    [Fact]
    public async Task SlowMovesKeepTheHandoverGoingAndAClientThatDoesNotMoveHoldsItOnlyUntilTheMovesHaveBeenQuiet()
    {
        // A busy replica's clients move one by one, the first late, then each soon after the one before, for longer than
        // the quiet time; one client never moves (a frozen tab). The limit is far off: the moves keep the handover going,
        // the quiet after the last of them ends it.
        const double quietSeconds = 3;
        var settings = new Dictionary<string, string>
        {
            ["Realtime:Handover:MaxSeconds"] = "60",
            ["Realtime:Handover:QuietSeconds"] = quietSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Realtime:Handover:MoveWithinMs"] = "250",
        };
        await using var pair = StartPair(settings);
        var (a, b) = (pair.A, pair.B);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var old = new List<LiveBoard>();
        var moved = new List<LiveBoard>();
        try
        {
            await JoinAsync(old, a, ada, board, 5);
            Assert.True(await SeeEachOtherAsync(a, b), "the replicas did not count each other");

            var clock = System.Diagnostics.Stopwatch.StartNew();
            var run = Handover(a).RunAsync(CancellationToken.None);
            Assert.True(await LiveBoard.EventuallyAsync(() => old.All(c => c.Stopping.Count == 1)), "not every client was asked to move");
            // The first moves only after the move window and one quiet time (a busy replica's first opens can take that
            // long): nobody has moved yet, so that is no quiet. The next three follow 1 s apart.
            foreach (var c in old.Take(4))
            {
                await Task.Delay(TimeSpan.FromSeconds(c == old[0] ? quietSeconds + 1 : 1));
                Assert.False(run.IsCompleted, $"the handover ended {clock.Elapsed.TotalSeconds:0.0} s in, while clients were still moving");
                var next = await LiveBoard.ConnectAsync(b, ada, handover: true);
                await next.JoinAsync(board, c.Applied);
                moved.Add(next);
                await c.DisposeAsync();
            }
            var lastMove = clock.Elapsed;
            Assert.True(lastMove.TotalSeconds > 0.25 + quietSeconds + 3, $"the moves took only {lastMove.TotalSeconds:0.0} s");

            var outcome = await run.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal((5, 1, HubHandover.End.Quiet), (outcome!.Asked, outcome.Left, outcome.Ended));
            // It waited one quiet time after the last move, and not for the 60 s limit.
            Assert.InRange(clock.Elapsed.TotalSeconds, lastMove.TotalSeconds + quietSeconds - 0.5, lastMove.TotalSeconds + quietSeconds + 5);
        }
        finally
        {
            foreach (var c in old.Concat(moved)) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task ClientsThatDoNotSayTheyMoveAreNotAskedAndAreLeftToTheStop()
    {
        await using var pair = StartPair();
        var (a, b) = (pair.A, pair.B);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var writer = b.ClientWithToken(ada.AccessToken);
        await using var old = await LiveBoard.ConnectAsync(a, ada); // long polling, without ?handover=1
        await old.JoinAsync(board, 0);
        Assert.True(await SeeEachOtherAsync(a, b), "the replicas did not count each other");

        await using var knows = await LiveBoard.ConnectAsync(a, ada, handover: true);
        await knows.JoinAsync(board, 0);
        var run = Handover(a).RunAsync(CancellationToken.None);
        Assert.True(await LiveBoard.EventuallyAsync(() => !knows.Stopping.IsEmpty), "the client that knows the message was not asked");
        // The old client is still served; had it been asked, its ServerStopping would have come before this event.
        var during = await CreateAsync(writer, board, "during the handover");
        Assert.True(await LiveBoard.EventuallyAsync(() => old.Applied == during && knows.Applied == during));
        Assert.Empty(old.Stopping);

        await knows.DisposeAsync(); // it moved; the old client is not waited for
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(8));
        Assert.NotNull(outcome);
        Assert.Equal((1, 0), (outcome.Asked, outcome.Left));
    }

    /// <summary>
    /// With only clients that do not know the handover, there is nothing to hand over (the stop closes them, as before),
    /// but the load balancer's pooled connections must still retire before the listeners close: a request from before
    /// the SIGTERM holds it until it has answered and <c>UpstreamIdleMs</c> has passed, and responses meanwhile close
    /// their connections.
    /// </summary>
    [Fact]
    public async Task WithNoClientToAskThereIsNoHandoverButTheBalancersConnectionsStillRetireFirst()
    {
        await using var pair = StartPair();
        var (a, b) = (pair.A, pair.B);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var old = await LiveBoard.ConnectAsync(a, ada); // long polling, without ?handover=1
        await old.JoinAsync(board, 0);
        Assert.True(await SeeEachOtherAsync(a, b), "the replicas did not count each other");
        var upstreamIdle = TimeSpan.FromMilliseconds(new HandoverOptions().UpstreamIdleMs);

        using var early = await HeldCreation.StartAsync(a, ada, board);

        var run = Handover(a).RunAsync(CancellationToken.None);
        Assert.True(await LiveBoard.EventuallyAsync(() => Handover(a).HandingOver));
        Assert.True((await a.ClientWithToken(ada.AccessToken).GetAsync("/api/me")).Headers.ConnectionClose, "a response while it waits kept its connection");
        var ended = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.False(ended == run, "it stopped waiting while a request from before the SIGTERM was in flight");

        var answered = await early.AnswerAsync("sent before the SIGTERM");
        Assert.Null(await run.WaitAsync(TimeSpan.FromSeconds(20))); // nothing was handed over
        Assert.True(answered.Elapsed >= upstreamIdle - TimeSpan.FromMilliseconds(100),
            $"it stopped waiting {answered.Elapsed.TotalMilliseconds:0} ms after the request answered, before the balancer's idle time ({upstreamIdle.TotalMilliseconds} ms)");
        Assert.Empty(old.Stopping); // the client that does not know the message was not asked
    }

    /// <summary>While a replica hands over it still serves every request, but its responses close their connection
    /// (<see cref="HubDrain.UseConnectionCloseWhileStopping"/>): the load balancer's pooled connections to it drain before
    /// its server stops, so no request goes out on one the server is closing. Its peer's responses keep theirs.</summary>
    [Fact]
    public async Task WhileHandingOverItsResponsesCloseTheirConnection()
    {
        await using var pair = StartPair();
        var (a, b) = (pair.A, pair.B);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        Assert.NotEqual(true, (await ada.Client.GetAsync("/api/me")).Headers.ConnectionClose);
        await using var knows = await LiveBoard.ConnectAsync(a, ada, handover: true);
        await knows.JoinAsync(board, 0);
        Assert.True(await SeeEachOtherAsync(a, b), "the replicas did not count each other");

        var run = Handover(a).RunAsync(CancellationToken.None);
        Assert.True(await LiveBoard.EventuallyAsync(() => !knows.Stopping.IsEmpty), "the client was not asked to move");
        var during = await ada.Client.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.OK, during.StatusCode);
        Assert.True(during.Headers.ConnectionClose, "a response during the handover kept its connection");
        Assert.NotEqual(true, (await b.ClientWithToken(ada.AccessToken).GetAsync("/api/me")).Headers.ConnectionClose);

        await knows.DisposeAsync(); // it moved: the handover ends
        Assert.NotNull(await run.WaitAsync(TimeSpan.FromSeconds(8)));
    }

    [Fact]
    public async Task ReplicasStoppingTogetherSeeThereIsNowhereLeftAndStopWithoutWaitingOutTheLimit()
    {
        await using var pair = StartPair(Patient);
        var (a, b) = (pair.A, pair.B);
        var ada = await a.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var onA = await LiveBoard.ConnectAsync(a, ada, handover: true); // neither moves: there is nowhere to go
        await using var onB = await LiveBoard.ConnectAsync(b, ada, handover: true);
        await onA.JoinAsync(board, 0);
        await onB.JoinAsync(board, 0);
        Assert.True(await SeeEachOtherAsync(a, b), "the replicas did not count each other");

        // A scale-down to zero, `docker compose stop`: both get SIGTERM at once, each still counted by the other.
        var both = Task.WhenAll(SigtermAsync(a), SigtermAsync(b));
        var outcomes = await both.WaitAsync(TimeSpan.FromSeconds(20));

        // Each left the count, found the other gone too within about a second, and ended long before its 60 s. (One
        // that read the count after the other had already left found nobody to hand over to, and stopped as before.)
        Assert.Contains(outcomes, o => o is not null);
        Assert.All(outcomes, o => Assert.True(o is null || (o is { Asked: 1, Left: 1, Ended: HubHandover.End.NoPeer } && o.Took < TimeSpan.FromSeconds(10)), $"{o}"));
    }

    /// <summary>Deletes the published count of every replica listed in <paramref name="scope"/> (the stopping one has left the
    /// list) again and again, for <paramref name="lapse"/> or until <paramref name="until"/> completes: a peer whose refresh
    /// is held up (on a loaded machine, or taking a storm of moves) looks like this, listed with a lapsed count, while its
    /// own refreshes put it back every 0.3 s.</summary>
    private static async Task LapseCountsAsync(string scope, TimeSpan lapse, Task? until = null)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(MariaDbApplication.RedisConnectionString);
        var db = redis.GetDatabase();
        var end = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(lapse.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < end && until?.IsCompleted != true)
        {
            await DeleteCountsAsync(db, scope);
            await Task.Delay(5);
        }
    }

    /// <summary>Deletes the published count of every replica listed in <paramref name="scope"/> (not its seen mark).</summary>
    private static async Task DeleteCountsAsync(StackExchange.Redis.IDatabase db, string scope)
    {
        var prefix = $"taskhub:hub-load:{scope}";
        foreach (var id in await db.SetMembersAsync($"{prefix}:replicas")) await db.KeyDeleteAsync($"{prefix}:{id}");
    }

    /// <summary>In a storm the survivor, taking thousands of moves, can refresh its count late; one reading of it lapsed
    /// ended the stopping replica's handover with nowhere to go, which closed the connections still waiting to move
    /// (forty-fourth round). Now a lapse shorter than a count's lifetime (5 s here) ends nothing.</summary>
    [Fact]
    public async Task APeerWhoseCountLapsesForAMomentIsStillSomewhereToMoveTo()
    {
        await using var pair = StartPair(Patient);
        var (stays, run) = await HandingOverOneAsync(pair); // asked; it moves only once the lapse is over
        await using var _ = stays;

        await LapseCountsAsync(pair.Scope, TimeSpan.FromSeconds(2)); // two of the handover's checks, once a second (3 s to spare)
        if (run.IsCompleted) Assert.Fail($"the handover ended while its peer was up: {await run}");

        await stays.DisposeAsync(); // it moved
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal((1, 0, HubHandover.End.AllMoved), (outcome!.Asked, outcome.Left, outcome.Ended));
    }

    /// <summary>A peer that stays listed with a lapsed count (it died without leaving the list) still ends the handover,
    /// once its count has stayed lapsed for a count's lifetime (5 s here) more, long before the 60 s limit.</summary>
    [Fact]
    public async Task APeerWhoseCountStaysLapsedEndsTheHandoverAfterACountsLifetime()
    {
        await using var pair = StartPair(Patient);
        var (stays, run) = await HandingOverOneAsync(pair); // asked, but it does not move
        await using var _ = stays;

        var lapsed = System.Diagnostics.Stopwatch.GetTimestamp();
        await LapseCountsAsync(pair.Scope, TimeSpan.FromSeconds(25), until: run);
        if (!run.IsCompleted) Assert.Fail("the handover did not end within 25 s of its only peer's count lapsing");
        var outcome = await run;
        var after = System.Diagnostics.Stopwatch.GetElapsedTime(lapsed);
        Assert.Equal((1, 1, HubHandover.End.NoPeer), (outcome!.Asked, outcome.Left, outcome.Ended));
        Assert.True(after >= TimeSpan.FromSeconds(5) && after < TimeSpan.FromSeconds(25), $"ended {after.TotalSeconds:0.0} s after the count lapsed");
    }

    /// <summary>A replica that refreshes its count only every 60 s (its count lives 61 s): once its count is deleted, it stays
    /// listed with a lapsed count for as long as the test needs, until the test refreshes it (<see cref="HubRebalancer.TickAsync"/>).</summary>
    private ScaleOutCluster.Replica Slow(string scope) =>
        Replica(scope, new() { ["Realtime:Rebalance:IntervalSeconds"] = "60", ["Realtime:Rebalance:TtlSeconds"] = "61" });

    /// <summary>Deletes every published count in <paramref name="scope"/> once; then waits until the replicas in
    /// <paramref name="fast"/> (refreshing every 0.3 s) have published theirs again, so only the slow ones are left lapsed.</summary>
    private static async Task LapseOnceAsync(string scope, params TaskHubApplication[] fast)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(MariaDbApplication.RedisConnectionString);
        await DeleteCountsAsync(redis.GetDatabase(), scope);
        var ticks = fast.Select(r => Rebalancer(r).Ticks).ToArray();
        Assert.True(await LiveBoard.EventuallyAsync(() => fast.Select((r, i) => Rebalancer(r).Ticks >= ticks[i] + 2).All(t => t)), "a replica did not tick");
    }

    /// <summary>Ada's connection on <paramref name="replica"/>, one that says it moves, joined to a board of hers.</summary>
    private static async Task<LiveBoard> AskableAsync(TaskHubApplication replica)
    {
        var ada = await replica.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var live = await LiveBoard.ConnectAsync(replica, ada, handover: true);
        try { await live.JoinAsync(board, 0); }
        catch
        {
            await live.DisposeAsync();
            throw;
        }
        return live;
    }

    /// <summary>The late peer <paramref name="late"/> publishes again and the asked client moves: the handover ends with all moved.</summary>
    private static async Task MovesOnceCaughtUpAsync(TaskHubApplication late, LiveBoard asked, Task<HubHandover.Outcome?> run)
    {
        await Rebalancer(late).TickAsync(CancellationToken.None);
        await asked.DisposeAsync();
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal((1, 0, HubHandover.End.AllMoved), (outcome!.Asked, outcome.Left, outcome.Ended));
    }

    /// <summary>Scaling down from three to one: A stops handing over to B, B is late refreshing its count (it is taking A's
    /// moves), and C, stopping too, ticks before it leaves. A tick took B out of the list on one reading of its lapsed
    /// count, and A, finding nobody listed once C had left, ended its handover at once and closed its connections with
    /// nowhere to go (forty-fourth round's "found, not mended": a third replica can still end a handover early). Now a
    /// replica seen within two TTLs stays listed.</summary>
    [Fact]
    public async Task AThirdReplicasTickDoesNotTakeALateSurvivorOutOfTheList()
    {
        var scope = Guid.NewGuid().ToString("N");
        // A's counts live 10 s: its wait takes a peer that stays lapsed for gone only that long after its first check
        // that finds no live one, far beyond this test's 2.5 s look.
        await using var a = Replica(scope, new(Patient) { ["Realtime:Rebalance:TtlSeconds"] = "10" });
        await using var b = Slow(scope);
        await using var c = Replica(scope);
        await using var asked = await AskableAsync(a);
        _ = b.Server;
        _ = c.Server;
        Assert.True(await LiveBoard.EventuallyAsync(() => Rebalancer(a).Last is { Replicas: 3 } && Rebalancer(c).Last is { Replicas: 3 }), "the replicas did not count each other");

        await LapseOnceAsync(scope, a, c); // B is late; A and C have ticked twice since, reading B lapsed
        var run = Handover(a).RunAsync(CancellationToken.None);
        Assert.True(await LiveBoard.EventuallyAsync(() => asked.Stopping.Count == 1), "the connection was not asked to move");
        await Rebalancer(c).LeaveAsync(); // C stops too
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // two of A's checks, once a second
        if (run.IsCompleted) Assert.Fail($"the handover ended while B was up: {await run}");

        await MovesOnceCaughtUpAsync(b, asked, run);
    }

    /// <summary>A tick (through <see cref="HubRebalancer.PruneAsync"/>, called here directly) takes a replica out of the list
    /// only if it has neither a count nor a seen mark when it is removed: one
    /// that publishes between the tick's reading and the removal stays listed. Removed as read, it was out of the list
    /// until its next tick, and a handover to it, finding nobody listed, could end meanwhile (forty-fifth round's "found, not mended").</summary>
    [Fact]
    public async Task APeerThatPublishesBetweenATicksReadingAndItsRemovalStaysListed()
    {
        // Three peers a tick read as seen by nobody; before its removal one has published its count, one its seen mark
        // (with a count that lapsed again at once), one nothing.
        await using var listed = await ThreeListedPeersAsync();
        Assert.Equal(1, await Rebalancer(listed.A).PruneAsync(["counted", "marked", "gone"]));
        Assert.Equal(["counted", "marked"], await listed.OthersAsync());
    }

    /// <summary>A tick takes out of the list what its reading found seen by nobody, and only that: a listed peer with a
    /// seen mark but no count (late refreshing) and one with a count stay. (The case above calls the prune itself; this
    /// one is the tick's use of it.)</summary>
    [Fact]
    public async Task ATickTakesOutOfTheListOnlyThePeersSeenByNobody()
    {
        await using var listed = await ThreeListedPeersAsync();
        await Rebalancer(listed.A).TickAsync(CancellationToken.None);
        Assert.Equal(["counted", "marked"], await listed.OthersAsync());
        Assert.Equal(new HubRebalancer.Peers(Live: 1, Lapsed: 1, Unseen: 0), await Rebalancer(listed.A).PeersAsync());
    }

    /// <summary>Replica A after its first tick (the next in 60 s: only the test prunes or ticks meanwhile), and three peers
    /// listed beside it: "counted" with a count, "marked" with a seen mark only, "gone" with neither.</summary>
    private async Task<ListedPeers> ThreeListedPeersAsync()
    {
        var scope = Guid.NewGuid().ToString("N");
        var prefix = $"taskhub:hub-load:{scope}";
        var listed = new ListedPeers(Slow(scope), await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(MariaDbApplication.RedisConnectionString), $"{prefix}:replicas");
        try
        {
            _ = listed.A.Server;
            Assert.True(await LiveBoard.EventuallyAsync(() => Rebalancer(listed.A).Ticks >= 1), "A did not tick");
            var db = listed.Redis.GetDatabase();
            await db.SetAddAsync(listed.Key, ["counted", "marked", "gone"]);
            await db.StringSetAsync($"{prefix}:counted", 3, TimeSpan.FromSeconds(60));
            await db.StringSetAsync($"{prefix}:marked:seen", 1, TimeSpan.FromSeconds(60));
            return listed;
        }
        catch
        {
            await listed.DisposeAsync(); // (a replica left ticking would hold its connections through later tests)
            throw;
        }
    }

    private sealed record ListedPeers(TaskHubApplication A, StackExchange.Redis.ConnectionMultiplexer Redis, string Key) : IAsyncDisposable
    {
        /// <summary>Who is listed besides A (its own id, 32 hex digits, is listed too).</summary>
        public async Task<List<string>> OthersAsync() =>
            (await Redis.GetDatabase().SetMembersAsync(Key)).Select(v => v.ToString()).Where(id => id.Length < 32).Order().ToList();

        public async ValueTask DisposeAsync()
        {
            await Redis.DisposeAsync();
            await A.DisposeAsync();
        }
    }

    /// <summary>A SIGTERM that comes while the only peer's count has lapsed (it is late refreshing) still hands over: the
    /// start counts a peer listed and seen lately. It read live counts only, and closed every connection.</summary>
    [Fact]
    public async Task AHandoverStartsWhenItsOnlyPeerIsListedWithALapsedCount()
    {
        var scope = Guid.NewGuid().ToString("N");
        await using var a = Replica(scope, Patient);
        await using var b = Slow(scope);
        await using var asked = await AskableAsync(a);
        _ = b.Server;
        Assert.True(await LiveBoard.EventuallyAsync(() => Rebalancer(a).Last is { Replicas: 2 }), "A did not count B");

        await LapseOnceAsync(scope, a);
        Assert.Equal(new HubRebalancer.Peers(Live: 0, Lapsed: 1, Unseen: 0), await Rebalancer(a).PeersAsync());
        var run = Handover(a).RunAsync(CancellationToken.None);
        Assert.True(await LiveBoard.EventuallyAsync(() => asked.Stopping.Count == 1 || run.IsCompleted), "neither asked nor ended");
        if (run.IsCompleted) Assert.Fail($"no handover: {await run}");

        await MovesOnceCaughtUpAsync(b, asked, run);
    }

    /// <summary>A SIGTERM while the replica's link to Redis has stalled still hands over, on its last tick's reading of a
    /// live peer. Redis unable to answer within 2 s meant no handover: every connection was closed by the stop, with a
    /// gap, though the peer was up (forty-fifth round's "found, not mended").</summary>
    [Fact]
    public async Task AHandoverStartsOnTheLastTicksReadingWhenRedisDoesNotAnswer()
    {
        // A's counts live 30 s: its last reading stays recent through the 2 s its start waits for Redis, however slow the machine.
        await using var stalled = await StalledAsync(new(Patient) { ["Realtime:Rebalance:TtlSeconds"] = "30" });
        var run = Handover(stalled.A).RunAsync(CancellationToken.None);
        Assert.True(await LiveBoard.EventuallyAsync(() => stalled.Asked.Stopping.Count == 1 || run.IsCompleted), "neither asked nor ended");
        if (run.IsCompleted) Assert.Fail($"no handover: {await run}");

        await stalled.Asked.DisposeAsync(); // it moved
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal((1, 0, HubHandover.End.AllMoved), (outcome!.Asked, outcome.Left, outcome.Ended));
    }

    /// <summary>Begun on the last reading, with Redis silent, no check can tell that the peers read then have gone since:
    /// when nobody moves, the quiet rule ends the handover (here 2 s after the 2 s move window) rather than the 60 s
    /// limit. (With Redis answering, the quiet rule waits for a first move: on a busy replica the first moves can be slow.)</summary>
    [Fact]
    public async Task AHandoverBegunOnTheLastReadingEndsWhenNobodyMovesForTheQuietTime()
    {
        await using var stalled = await StalledAsync(new()
        {
            ["Realtime:Handover:MaxSeconds"] = "60", ["Realtime:Handover:QuietSeconds"] = "2", ["Realtime:Rebalance:TtlSeconds"] = "30",
        });
        var run = Handover(stalled.A).RunAsync(CancellationToken.None);
        Assert.True(await LiveBoard.EventuallyAsync(() => stalled.Asked.Stopping.Count == 1 || run.IsCompleted), "neither asked nor ended");
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(30)); // (the client never moves)
        Assert.NotNull(outcome);
        Assert.Equal((1, 1, HubHandover.End.Quiet), (outcome.Asked, outcome.Left, outcome.Ended));
    }

    /// <summary>The last reading counts only while younger than a count's lifetime (5 s here): a replica whose link to Redis
    /// has been silent longer cannot tell whether anyone is left, and stops as before.</summary>
    [Fact]
    public async Task AHandoverDoesNotStartOnAReadingOlderThanACountsLifetime()
    {
        await using var stalled = await StalledAsync(Patient);
        Assert.True(await LiveBoard.EventuallyAsync(() => Rebalancer(stalled.A).RecentlySeen is null), "A's last reading did not age");
        Assert.Null(await Handover(stalled.A).RunAsync(CancellationToken.None));
        Assert.Empty(stalled.Asked.Stopping);
    }

    /// <summary>A (with <paramref name="settings"/>, its Redis behind a proxy) and B on a scope of their own, Ada's connection
    /// that moves when asked on A, A counting B; then A's link to Redis stalls.</summary>
    private async Task<Stalled> StalledAsync(Dictionary<string, string> settings)
    {
        var proxy = new StallingTcpProxy(MariaDbApplication.RedisConnectionString);
        var scope = Guid.NewGuid().ToString("N");
        var stalled = new Stalled(proxy, Replica(scope, new(settings) { ["ConnectionStrings:Redis"] = proxy.ConnectionString }), Replica(scope));
        try
        {
            stalled.Asked = await AskableAsync(stalled.A);
            _ = stalled.B.Server;
            Assert.True(await LiveBoard.EventuallyAsync(() => Rebalancer(stalled.A).Last is { Replicas: 2 }), "A did not count B");
            proxy.Stall();
            return stalled;
        }
        catch
        {
            await stalled.DisposeAsync();
            throw;
        }
    }

    private sealed class Stalled(StallingTcpProxy proxy, ScaleOutCluster.Replica a, ScaleOutCluster.Replica b) : IAsyncDisposable
    {
        public ScaleOutCluster.Replica A => a;
        public ScaleOutCluster.Replica B => b;
        public LiveBoard Asked { get; set; } = null!;

        public async ValueTask DisposeAsync()
        {
            proxy.Resume(); // (A stops with its Redis answering)
            if (Asked is not null) await Asked.DisposeAsync();
            await b.DisposeAsync();
            await a.DisposeAsync();
            await proxy.DisposeAsync();
        }
    }

    /// <summary>Ada's connection on <paramref name="pair"/>'s A (one that says it moves) joined to a board of hers, both
    /// replicas counting each other, and A's handover begun with that connection asked to move.</summary>
    private static async Task<(LiveBoard Asked, Task<HubHandover.Outcome?> Run)> HandingOverOneAsync(Pair pair)
    {
        var asked = await AskableAsync(pair.A);
        try
        {
            Assert.True(await SeeEachOtherAsync(pair.A, pair.B), "the replicas did not count each other");
            var run = Handover(pair.A).RunAsync(CancellationToken.None);
            Assert.True(await LiveBoard.EventuallyAsync(() => asked.Stopping.Count == 1), "the connection was not asked to move");
            return (asked, run);
        }
        catch
        {
            await asked.DisposeAsync();
            throw;
        }
    }

    /// <summary>What <see cref="HubHandover.Lifetime"/> does at SIGTERM: the handover, then the application's stop (which
    /// takes the replica out of the rebalancer's count, as a replica with nothing to hand over does at once).</summary>
    private static async Task<HubHandover.Outcome?> SigtermAsync(TaskHubApplication replica)
    {
        try { return await Handover(replica).RunAsync(CancellationToken.None); }
        finally { replica.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication(); }
    }

    [Fact]
    public async Task ALoneReplicaHasNoOneToHandOverToAndStopsAsBefore()
    {
        await using var lone = Replica(Guid.NewGuid().ToString("N"));
        var ada = await lone.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var live = await LiveBoard.ConnectAsync(lone, ada, handover: true);
        await live.JoinAsync(board, 0);
        Assert.True(await LiveBoard.EventuallyAsync(() => Rebalancer(lone).Last is { Replicas: 1 }));

        Assert.Null(await Handover(lone).RunAsync(CancellationToken.None));

        Assert.False(Handover(lone).HandingOver);
        Assert.Equal(HttpStatusCode.OK, (await lone.CreateClient().GetAsync("/readyz")).StatusCode);
        Assert.Empty(live.Stopping);
    }
}
