using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Features.Activity;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Features.Realtime;
using TaskHub.Server.Infrastructure;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;


/// <summary>Users of the <see cref="LocalCluster"/>, signed up and logged in through its load balancer.</summary>
public static class LocalClusterUsers
{
    public static async Task<TestUser> SignUpAsync(this LocalCluster cluster, string name)
    {
        var email = $"{name.ToLowerInvariant()}-{Guid.NewGuid():N}@example.com";
        var http = new HttpClient { BaseAddress = cluster.Lb };
        (await http.PostAsJsonAsync("/api/auth/register", new { email, password = "correct-horse-9", displayName = name })).EnsureSuccessStatusCode();
        var tokens = await (await http.PostAsJsonAsync("/api/auth/login", new { email, password = "correct-horse-9" })).Content.ReadFromJsonAsync<JsonElement>();
        var access = tokens.GetProperty("accessToken").GetString()!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", access);
        return new TestUser(tokens.GetProperty("user").GetProperty("id").GetGuid(), email, "correct-horse-9", http, access, tokens.GetProperty("refreshToken").GetString()!);
    }
}

/// <summary>
/// A browser-like client: WebSockets only, no negotiate, reconnects by itself and re-joins from the last seq it applied.
/// With <c>handover</c> it says <c>?handover=1</c> and, like the browser, moves when its replica asks
/// (<c>ServerStopping</c>): a new connection through the same address, joined from what it applied, then the old one closed.
/// </summary>
public sealed class ClusterClient : IAsyncDisposable
{
    private HubConnection _connection;
    private readonly Uri _server;
    private readonly TestUser _user;
    private readonly bool _reconnect;
    private readonly bool _handover;
    private readonly HttpClient _rest;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SortedDictionary<long, BoardEventDto> _pending = new();
    public Guid Board { get; private set; }
    public long Applied { get; private set; }
    public List<long> AppliedSeqs { get; } = [];
    public int Reconnects;
    /// <summary>Connections the server closed or lost under it (automatic reconnect began), not those it closed itself after a move.</summary>
    public int Drops;
    /// <summary>Moves to a new connection when its replica asked (the handover).</summary>
    public int Moves;
    /// <summary>Seqs that arrived on a connection after it had been asked to move (it was still served).</summary>
    public int ArrivedAfterAsked;
    public List<PresenceDto> Presence { get; } = [];

    public ClusterClient(Uri server, TestUser user, bool reconnect, bool handover = false)
    {
        (_server, _user, _reconnect, _handover, _rest) = (server, user, reconnect, handover, user.Client);
        _connection = Connection();
    }

    private HubConnection Connection()
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(_server, _handover ? "hubs/board?handover=1" : "hubs/board"), o =>
            {
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(_user.AccessToken);
            })
            .AddJsonProtocol(o => ApiExtensions.ConfigureJson(o.PayloadSerializerOptions));
        if (_reconnect) builder.WithAutomaticReconnect([TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)]);
        var connection = builder.Build();
        var asked = false;
        foreach (var m in new[] { nameof(IBoardClient.TaskCreated), nameof(IBoardClient.TaskUpdated), nameof(IBoardClient.TaskDeleted) })
            connection.On<BoardEventDto>(m, e =>
            {
                if (Volatile.Read(ref asked)) Interlocked.Increment(ref ArrivedAfterAsked);
                return OnAsync([e]);
            });
        connection.On<BoardHeadDto>(nameof(IBoardClient.BoardHead), h => h.Seq > Applied ? CatchUpAsync() : Task.CompletedTask);
        connection.On<PresenceDto>(nameof(IBoardClient.PresenceChanged), p => { lock (Presence) Presence.Add(p); });
        connection.On<ServerStoppingDto>(nameof(IBoardClient.ServerStopping), s =>
        {
            Volatile.Write(ref asked, true);
            _ = MoveAsync(connection, s.MoveWithinMs); // not awaited here: the handler must not hold up this connection's messages
        });
        connection.Reconnecting += _ =>
        {
            Interlocked.Increment(ref Drops);
            return Task.CompletedTask;
        };
        connection.Reconnected += async _ =>
        {
            Interlocked.Increment(ref Reconnects);
            await connection.InvokeAsync("JoinBoard", Board, Applied);
        };
        return connection;
    }

    /// <summary>Make before break: a new connection, joined from what was applied, then the old one stops.</summary>
    private async Task MoveAsync(HubConnection old, int moveWithinMs)
    {
        await Task.Delay(Random.Shared.Next(moveWithinMs + 1));
        var next = Connection();
        await next.StartAsync();
        long after;
        await _gate.WaitAsync();
        try { after = Applied; }
        finally { _gate.Release(); }
        await next.InvokeAsync("JoinBoard", Board, after);
        _connection = next;
        Interlocked.Increment(ref Moves);
        await old.DisposeAsync();
    }

    public async Task JoinAsync(Guid board)
    {
        Board = board;
        await _connection.StartAsync();
        await _connection.InvokeAsync("JoinBoard", board, (long?)0);
    }

    private async Task OnAsync(IEnumerable<BoardEventDto> events)
    {
        await _gate.WaitAsync();
        try
        {
            foreach (var e in events.Where(e => e.Seq > Applied)) _pending[e.Seq] = e;
            while (_pending.Remove(Applied + 1, out var next))
            {
                Applied = next.Seq;
                AppliedSeqs.Add(next.Seq);
            }
        }
        finally { _gate.Release(); }
    }

    private async Task CatchUpAsync()
    {
        var missing = await _rest.GetFromJsonAsync<List<BoardEventDto>>($"/api/boards/{Board}/events?after={Applied}", TaskHubJson.Options);
        await OnAsync(missing!);
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}

[Collection(Deployment.PublishesTheServer.Name)]
public sealed class ReplicaKillTests(LocalCluster cluster, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<LocalCluster>
{
    /// <summary>
    /// Creates a task through the balancer like a browser: a 502 (nginx's kept-alive connection to a replica that died or is
    /// stopping broke under the POST, which it does not replay) is retried once the balancer has moved on.
    /// </summary>
    private static async Task CreateRetryingAsync(TestUser user, Guid board, string title)
    {
        var r = await user.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title });
        for (var retry = 0; r.StatusCode == HttpStatusCode.BadGateway && retry < 10; retry++)
        {
            await Task.Delay(200);
            r = await user.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title });
        }
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
    }

    [Fact]
    public async Task WhenAReplicaIsKilledItsClientsReconnectThroughTheBalancerCatchUpAndPresenceCorrectsItself()
    {
        if (!cluster.IsRunning(1)) await cluster.StartReplicaAsync(1); // the other test of this class kills it too
        var ada = await cluster.SignUpAsync("Ada");
        var board = (await (await ada.Client.PostAsJsonAsync("/api/boards", new { name = "Kill" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var ghost = await cluster.SignUpAsync("Ghost");
        (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { email = ghost.Email, role = "member" })).EnsureSuccessStatusCode();

        // Eight browsers through nginx (round-robin: about half land on each replica), one observer pinned to
        // replica 2, and a "ghost" pinned to replica 1 that will not come back.
        var clients = new List<ClusterClient>();
        for (var i = 0; i < 8; i++)
        {
            var c = new ClusterClient(cluster.Lb, ada, reconnect: true);
            await c.JoinAsync(board);
            clients.Add(c);
        }
        await using var observer = new ClusterClient(cluster.Replica(2), ada, reconnect: false);
        await observer.JoinAsync(board);
        var ghostClient = new ClusterClient(cluster.Replica(1), ghost, reconnect: false);
        await ghostClient.JoinAsync(board);
        Assert.True(await LiveBoard.EventuallyAsync(() => { lock (observer.Presence) return observer.Presence.LastOrDefault()?.Users.Count == 2; }));

        var written = 0;
        async Task WriteAsync(int n)
        {
            for (var i = 0; i < n; i++)
            {
                await CreateRetryingAsync(ada, board, $"t{written}");
                written++;
            }
        }
        await WriteAsync(10);
        Assert.True(await LiveBoard.EventuallyAsync(() => clients.All(c => c.Applied == written)));

        cluster.Kill(1);
        var killed = Stopwatch.StartNew();
        await WriteAsync(20); // through nginx, which now only has replica 2

        Assert.True(await LiveBoard.EventuallyAsync(() => clients.All(c => c.Applied == written), 60));
        var recovered = killed.Elapsed;
        Assert.True(clients.Sum(c => c.Reconnects) > 0, "some clients should have been on the killed replica");
        foreach (var c in clients) Assert.Equal(Enumerable.Range(1, written).Select(i => (long)i), c.AppliedSeqs); // nothing lost or twice

        // The ghost's presence entry expires (TTL 2 s) and the observer is told.
        Assert.True(await LiveBoard.EventuallyAsync(() =>
        {
            lock (observer.Presence) return observer.Presence.LastOrDefault() is { } p && p.Users.All(u => u.UserId != ghost.Id);
        }, 30));
        output.WriteLine($"{clients.Sum(c => c.Reconnects)} of {clients.Count} clients reconnected to the surviving replica; " +
                         $"all {written} events applied in order on every client {recovered.TotalSeconds:0.0} s after the kill; " +
                         $"the dead replica's viewer left presence {killed.Elapsed.TotalSeconds:0.0} s after the kill");
        await ghostClient.DisposeAsync();
        foreach (var c in clients) await c.DisposeAsync();
    }

    [Fact]
    public async Task WhenAReplicaIsStoppedItsClientsMoveThroughTheBalancerWithoutAGapAndItExitsOnceTheyHave()
    {
        if (!cluster.IsRunning(1)) await cluster.StartReplicaAsync(1); // the other tests of this class stop it too
        var ada = await cluster.SignUpAsync("Ada");
        var board = (await (await ada.Client.PostAsJsonAsync("/api/boards", new { name = "Rolling" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var clients = new List<ClusterClient>();
        for (var i = 0; i < 8; i++) // through nginx (least_conn): about half on each replica
        {
            var c = new ClusterClient(cluster.Lb, ada, reconnect: true, handover: true);
            await c.JoinAsync(board);
            clients.Add(c);
        }
        var onOne = await cluster.MetricAsync(1, "taskhub_signalr_connections");
        Assert.True(onOne >= 1, "no client on replica 1");
        await Task.Delay(TimeSpan.FromSeconds(2)); // four rebalancing intervals (0.5 s here): each replica has counted the other

        var written = 0;
        async Task WriteAsync()
        {
            await CreateRetryingAsync(ada, board, $"t{written}");
            written++;
        }
        for (var i = 0; i < 5; i++) await WriteAsync();
        Assert.True(await LiveBoard.EventuallyAsync(() => clients.All(c => c.Applied == written)));

        // A rolling restart's stop, with writes going on (through nginx, to either replica while replica 1 still serves).
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            while (!writing.IsCancellationRequested)
            {
                await WriteAsync();
                await Task.Delay(50);
            }
        });
        var took = await cluster.TerminateAsync(1);
        await writing.CancelAsync();
        await writer;

        Assert.True(await LiveBoard.EventuallyAsync(() => clients.All(c => c.Applied == written), 30));
        Assert.Equal(onOne, clients.Sum(c => c.Moves)); // every client of replica 1 moved …
        Assert.Equal(0, clients.Sum(c => c.Drops)); // … and none saw its connection close: no gap
        Assert.True(clients.Sum(c => c.ArrivedAfterAsked) > 0, "no event reached a connection after it was asked to move"); // it was still served
        foreach (var c in clients) Assert.Equal(Enumerable.Range(1, written).Select(i => (long)i), c.AppliedSeqs); // nothing lost or twice
        // It stopped once they had moved (each within 2 s), not at the handover's limit (20 s).
        Assert.True(took < TimeSpan.FromSeconds(8), $"replica 1 took {took.TotalSeconds:0.0} s to exit");
        output.WriteLine($"{onOne} clients moved from replica 1 without a close; it exited {took.TotalSeconds:0.0} s after SIGTERM; {written} events applied in order on all {clients.Count}");
        foreach (var c in clients) await c.DisposeAsync();
        await cluster.StartReplicaAsync(1);
    }

    [Fact]
    public async Task AfterARestartTheSurvivorShedsItsExcessAndTheBalancerSpreadsTheClientsOverBothReplicas()
    {
        if (!cluster.IsRunning(1)) await cluster.StartReplicaAsync(1); // the other test of this class kills it
        var ada = await cluster.SignUpAsync("Ada");
        var board = (await (await ada.Client.PostAsJsonAsync("/api/boards", new { name = "Rebalance" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var clients = new List<ClusterClient>();
        for (var i = 0; i < 16; i++) // through nginx: least_conn puts 8 on each replica
        {
            var c = new ClusterClient(cluster.Lb, ada, reconnect: true);
            await c.JoinAsync(board);
            clients.Add(c);
        }
        async Task<(double One, double Two)> HeldAsync() =>
            (await cluster.MetricAsync(1, "taskhub_signalr_connections"), await cluster.MetricAsync(2, "taskhub_signalr_connections"));
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await HeldAsync()).Two >= 8));

        output.WriteLine($"before the kill: {await HeldAsync()}, {clients.Sum(c => c.Reconnects)} reconnects");
        cluster.Kill(1); // its clients all reconnect to replica 2
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await HeldAsync()).Two >= 16, 30), "replica 2 should hold all 16");
        var shedBefore = await cluster.MetricAsync(2, "taskhub_hub_connections_shed_total");
        output.WriteLine($"after the kill: {await HeldAsync()}, {clients.Sum(c => c.Reconnects)} reconnects, {shedBefore} shed by replica 2");

        await cluster.StartReplicaAsync(1); // ready: replica 2 (fair share 8, tolerance 1) sheds 7, nginx sends them to replica 1
        Assert.True(await LiveBoard.EventuallyAsync(async () => await HeldAsync() is { One: >= 7, Two: <= 9 }, 30), $"held {await HeldAsync()}");
        Assert.True(await cluster.MetricAsync(2, "taskhub_hub_connections_shed_total") - shedBefore >= 7);

        for (var i = 0; i < 5; i++) (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = $"after {i}" })).EnsureSuccessStatusCode();
        Assert.True(await LiveBoard.EventuallyAsync(() => clients.All(c => c.Applied == 5), 30));
        foreach (var c in clients) Assert.Equal([1L, 2L, 3L, 4L, 5L], c.AppliedSeqs);
        output.WriteLine($"after the restart: {await HeldAsync()} connections on replicas 1 and 2; {clients.Sum(c => c.Reconnects)} reconnects in all");
        foreach (var c in clients) await c.DisposeAsync();
    }
}
