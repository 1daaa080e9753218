using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Features.Activity;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Realtime;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Tests.Infrastructure;

/// <summary>
/// A board as a client keeps it: a real SignalR client (HubConnectionBuilder) that applies events strictly in
/// seq order, ignores duplicates, and fetches what it lacks from REST when it sees a gap or a BoardHead beyond
/// what it applied. What it received live and what it fetched are recorded separately. Events of other boards
/// the connection also joined (see <see cref="InvokeJoinAsync"/>) are recorded in <see cref="ReceivedLive"/> only.
/// </summary>
public sealed class LiveBoard : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly HttpClient _rest;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SortedDictionary<long, BoardEventDto> _pending = new();

    public Guid BoardId { get; private set; }
    public long Applied { get; private set; }
    public List<BoardEventDto> AppliedEvents { get; } = [];
    public ConcurrentQueue<BoardEventDto> ReceivedLive { get; } = new();
    public ConcurrentQueue<BoardHeadDto> Heads { get; } = new();
    public ConcurrentQueue<PresenceDto> Presence { get; } = new();
    public ConcurrentQueue<Guid> Revoked { get; } = new();
    public ConcurrentQueue<NotificationDto> Notifications { get; } = new();
    public int FetchedFromRest { get; private set; }

    private LiveBoard(HubConnection connection, HttpClient rest)
    {
        _connection = connection;
        _rest = rest;
        connection.On<BoardEventDto>(nameof(IBoardClient.TaskCreated), OnEvent);
        connection.On<BoardEventDto>(nameof(IBoardClient.TaskUpdated), OnEvent);
        connection.On<BoardEventDto>(nameof(IBoardClient.TaskDeleted), OnEvent);
        foreach (var type in new[]
                 {
                     nameof(IBoardClient.TaskMoved), nameof(IBoardClient.CommentAdded), nameof(IBoardClient.CommentEdited), nameof(IBoardClient.CommentDeleted),
                     nameof(IBoardClient.ChecklistItemAdded), nameof(IBoardClient.ChecklistItemChanged), nameof(IBoardClient.ChecklistItemDeleted),
                     nameof(IBoardClient.LabelsChanged),
                     nameof(IBoardClient.ColumnRespread), nameof(IBoardClient.BoardRenamed),
                 })
            connection.On<BoardEventDto>(type, OnEvent);
        connection.On<BoardHeadDto>(nameof(IBoardClient.BoardHead), OnHead);
        connection.On<PresenceDto>(nameof(IBoardClient.PresenceChanged), p => Presence.Enqueue(p));
        connection.On<BoardAccessRevokedDto>(nameof(IBoardClient.BoardAccessRevoked), r => Revoked.Enqueue(r.BoardId));
        connection.On<NotificationDto>(nameof(IBoardClient.NotificationAdded), n => Notifications.Enqueue(n));
        connection.On<ServerStoppingDto>(nameof(IBoardClient.ServerStopping), s => Stopping.Enqueue(s));
    }

    /// <summary>What <see cref="IBoardClient.ServerStopping"/> messages arrived (a replica handing this connection over).</summary>
    public ConcurrentQueue<ServerStoppingDto> Stopping { get; } = new();

    /// <param name="configure">More client setup (e.g. another hub protocol), applied last.</param>
    /// <param name="handover">Over WebSockets (the test server's) and saying it moves when its replica stops
    /// (<c>?handover=1</c>), as the browser does; otherwise long polling, without the flag.</param>
    /// <param name="beforeHandshake">With <paramref name="handover"/>: awaited once the WebSocket is open, before the client
    /// sends SignalR's handshake (the server registers the connection only once that has come).</param>
    public static Task<LiveBoard> ConnectAsync(TaskHubApplication app, TestUser user, Action<IHubConnectionBuilder>? configure = null, bool handover = false,
        Func<Task>? beforeHandshake = null) =>
        ConnectAsync(() => app, user, reconnect: false, configure, handover, beforeHandshake);

    /// <summary>
    /// A client with automatic reconnect (first retry at once) that, like the browser, rejoins its board from the last seq
    /// it applied once reconnected. <paramref name="pick"/> is the load balancer: asked at every (re)connect which replica.
    /// </summary>
    public static Task<LiveBoard> ConnectReconnectingAsync(Func<TaskHubApplication> pick, TestUser user) =>
        ConnectAsync(pick, user, reconnect: true, null, handover: false);

    private static async Task<LiveBoard> ConnectAsync(Func<TaskHubApplication> pick, TestUser user, bool reconnect, Action<IHubConnectionBuilder>? configure, bool handover,
        Func<Task>? beforeHandshake = null)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(pick().Server.BaseAddress, handover ? "hubs/board?handover=1" : "hubs/board"), o =>
            {
                o.HttpMessageHandlerFactory = _ => pick().Server.CreateHandler(); // asked again for every (re)connection
                o.AccessTokenProvider = () => Task.FromResult<string?>(user.AccessToken);
                o.Transports = HttpTransportType.LongPolling;
                if (!handover) return;
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true; // as the browser
                o.WebSocketFactory = async (context, ct) =>
                {
                    var client = pick().Server.CreateWebSocketClient();
                    client.ConfigureRequest = r => r.Headers.Authorization = "Bearer " + user.AccessToken;
                    var socket = await client.ConnectAsync(context.Uri, ct);
                    if (beforeHandshake is not null) await beforeHandshake();
                    return socket;
                };
            })
            .AddJsonProtocol(o => ApiExtensions.ConfigureJson(o.PayloadSerializerOptions));
        if (reconnect) builder.WithAutomaticReconnect([TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)]);
        configure?.Invoke(builder);
        var connection = builder.Build();
        // Its handlers before the start: the server may send as soon as the handshake is done (a handover asks a connection
        // that connected after it began within its OnConnectedAsync), and SignalR drops a message with no handler yet.
        var live = new LiveBoard(connection, user.Client);
        await connection.StartAsync();
        if (reconnect)
        {
            connection.Reconnecting += _ =>
            {
                live.ClosedAt.Enqueue(System.Diagnostics.Stopwatch.GetTimestamp());
                return Task.CompletedTask;
            };
            connection.Reconnected += async _ =>
            {
                long after;
                await live._gate.WaitAsync();
                try { after = live.Applied; }
                finally { live._gate.Release(); }
                live.RejoinedFrom.Enqueue(after);
                await connection.InvokeAsync("JoinBoard", live.BoardId, after);
                Interlocked.Increment(ref live._rejoined);
            };
        }
        return live;
    }

    /// <summary>When the server closed this (reconnecting) client's connection, each time (Stopwatch timestamps).</summary>
    public ConcurrentQueue<long> ClosedAt { get; } = new();

    /// <summary>The seq each rejoin asked to catch up from (what the client had applied when it rejoined).</summary>
    public ConcurrentQueue<long> RejoinedFrom { get; } = new();

    /// <summary>How many times it reconnected and rejoined its board.</summary>
    public int Rejoined => Volatile.Read(ref _rejoined);
    private int _rejoined;

    public async Task JoinAsync(Guid boardId, long? afterSeq)
    {
        BoardId = boardId;
        Applied = afterSeq ?? 0;
        await _connection.InvokeAsync("JoinBoard", boardId, afterSeq);
    }

    public Task LeaveAsync() => _connection.InvokeAsync("LeaveBoard", BoardId);

    public Task InvokeJoinAsync(Guid boardId, long? afterSeq) => _connection.InvokeAsync("JoinBoard", boardId, afterSeq);

    public Task InvokeRawAsync(string method, params object?[] args) => _connection.InvokeCoreAsync(method, args);

    public Task StopAsync() => _connection.StopAsync();

    /// <summary>The connection's id on the server (SignalR's).</summary>
    public string? ConnectionId => _connection.ConnectionId;

    /// <summary>Whether the connection is open (not closed by the server or the client).</summary>
    public bool Connected => _connection.State == HubConnectionState.Connected;

    private async Task OnEvent(BoardEventDto e)
    {
        ReceivedLive.Enqueue(e);
        if (e.BoardId != BoardId) return; // recorded, but another board's seqs are not this board's
        await _gate.WaitAsync();
        try
        {
            if (e.Seq <= Applied) return; // a duplicate
            _pending[e.Seq] = e;
            Drain();
            if (_pending.Count > 0) await CatchUpLockedAsync(); // a gap: fetch what is missing
        }
        finally { _gate.Release(); }
    }

    private async Task OnHead(BoardHeadDto head)
    {
        Heads.Enqueue(head);
        if (head.BoardId != BoardId) return;
        await _gate.WaitAsync();
        try
        {
            if (head.Seq > Applied) await CatchUpLockedAsync();
        }
        finally { _gate.Release(); }
    }

    private void Drain()
    {
        while (_pending.Remove(Applied + 1, out var next))
        {
            AppliedEvents.Add(next);
            Applied = next.Seq;
        }
        foreach (var stale in _pending.Keys.Where(k => k <= Applied).ToList()) _pending.Remove(stale);
    }

    private async Task CatchUpLockedAsync()
    {
        var missing = await _rest.GetFromJsonAsync<List<BoardEventDto>>($"/api/boards/{BoardId}/events?after={Applied}", TaskHubJson.Options);
        FetchedFromRest += missing!.Count;
        foreach (var e in missing) _pending[e.Seq] = e;
        Drain();
    }

    /// <summary>
    /// Asserts this connection gets no more of <paramref name="board"/>'s events: <paramref name="writer"/> changes it,
    /// then <paramref name="viewer"/> (this connection's person) changes a board of their own, joined over the same
    /// connection — an ordered barrier: pushes go out one at a time in commit order, so the first would have come first.
    /// </summary>
    public async Task AssertNothingMoreOfAsync(Guid board, TestUser writer, TestUser viewer)
    {
        await writer.CreateTaskAsync(board, new { title = "not for the viewer" });
        var own = await viewer.CreateBoardAsync();
        await JoinAsync(own, 0);
        await viewer.CreateTaskAsync(own, new { title = "the viewer's own" });
        Assert.True(await EventuallyAsync(() => ReceivedLive.Any(e => e.Task!.Title == "the viewer's own")));
        Assert.DoesNotContain(ReceivedLive, e => e.Task!.Title == "not for the viewer");
    }

    /// <summary>Waits (bounded) until <paramref name="done"/> holds; false when it never did.</summary>
    public static Task<bool> EventuallyAsync(Func<bool> done, double seconds = 15) =>
        EventuallyAsync(() => Task.FromResult(done()), seconds);

    /// <summary>
    /// The same for a predicate that does I/O: awaited, so a poll every 20 ms never blocks a thread-pool thread on
    /// async work (which on a loaded machine starves the pool). Bounded, as long as each check returns (they are HTTP
    /// calls and queries with timeouts of their own); checked once more after the deadline.
    /// </summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> done, double seconds = 15)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            if (await done()) return true;
            await Task.Delay(20);
        }
        return await done();
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
