using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Realtime;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// A board's events that are queued together reach a connection as one frame: one WebSocket message carrying them all,
/// in seq order (<c>Realtime:MaxEventsPerFrame</c>), for the board's live line and for a join's catch-up alike. Seen on
/// the wire by a raw WebSocket client speaking the JSON hub protocol, which counts the hub messages in each WebSocket
/// message it receives.
/// </summary>
public abstract class EventFramesTests(TaskHubApplication app)
{
    [Fact]
    public async Task EventsTheLineTakesTogetherArriveAsOneWebSocketMessageInSeqOrder()
    {
        var ada = await app.SignUpAsync();
        var source = await FeedEvents.SourceAsync(ada, 31);
        var board = await ada.CreateBoardAsync();
        await using var socket = await RawSocketHub.ConnectAsync(app, ada);
        await socket.InvokeAsync("JoinBoard", board, 0); // the board's line here starts at seq 1

        // The source board's 31 real events, as events of the watched board; seq 1 comes last, so seqs 2–31 wait in the
        // line for it (Realtime:GapWaitMilliseconds is long here) and are all taken at once when it arrives.
        var events = await FeedEvents.CopiedAsync(app, source, board);
        Assert.Equal(31, events.Count);
        var feed = app.Services.GetRequiredService<BoardEventFeed>();
        foreach (var e in events.Skip(1).Append(events[0])) await feed.PublishAsync(e);

        Assert.True(await LiveBoard.EventuallyAsync(() => socket.EventSeqs().Count() == 31), $"got {socket.EventSeqs().Count()} events");
        Assert.Equal(Enumerable.Range(1, 31).Select(s => (long)s), socket.EventSeqs());
        var carrying = socket.Messages.Where(m => m.Any(h => h.Seq is not null)).ToList();
        Assert.True(carrying.Count == 1, $"the 31 events came in {carrying.Count} WebSocket messages: {string.Join(", ", carrying.Select(m => m.Count))}");
    }

    [Fact]
    public async Task AJoinsCatchUpAndHeadArriveAsOneWebSocketMessage()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        for (var i = 0; i < 40; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}" });

        await using var socket = await RawSocketHub.ConnectAsync(app, ada);
        await socket.InvokeAsync("JoinBoard", board, 3);

        Assert.Equal(Enumerable.Range(4, 37).Select(s => (long)s), socket.EventSeqs());
        var carrying = socket.Messages.Where(m => m.Any(h => h.Seq is not null)).ToList();
        Assert.True(carrying.Count == 1, $"the catch-up came in {carrying.Count} WebSocket messages: {string.Join(" | ", carrying.Select(m => string.Join(",", m.Select(h => h.Target))))}");
        Assert.Equal([.. Enumerable.Repeat(BoardEventTypes.TaskCreated, 37), "BoardHead"], 
            carrying[0].Select(h => h.Target).Where(t => t is BoardEventTypes.TaskCreated or "BoardHead")); // the join's completion or presence may ride along
    }
}

/// <summary>The scale-out settings aside, a long gap wait: the first test holds seqs back on purpose.</summary>
public sealed class FramesApplication : SqliteApplication
{
    public FramesApplication() => Settings["Realtime:GapWaitMilliseconds"] = "30000";
}

public sealed class EventFramesTestsInProcess(FramesApplication app) : EventFramesTests(app), IClassFixture<FramesApplication>;

/// <summary>With Redis (the cluster's lifetime manager and the feed's channel): the line takes the events from Redis.</summary>
public sealed class EventFramesTestsOnRedis(EventFramesTestsOnRedis.Replica app) : EventFramesTests(app), IClassFixture<EventFramesTestsOnRedis.Replica>
{
    public sealed class Replica : MariaDbApplication
    {
        public Replica()
        {
            Settings["ConnectionStrings:Redis"] = RedisConnectionString;
            Settings["Realtime:GapWaitMilliseconds"] = "30000";
        }
    }
}

/// <summary>
/// A board whose gap cannot be filled (the event log's read fails) holds back no other board of its partition: what the
/// partition's lines have taken is sent before any read of the log, and the failed read is tried again after another
/// wait while the line goes on with the others.
/// </summary>
public sealed class GapFillFailureTests(GapFillFailureTests.App app) : IClassFixture<GapFillFailureTests.App>
{
    /// <summary>Two partitions (so two boards share one easily), a short gap wait, and reads of the event log that fail on demand.</summary>
    public sealed class App : SqliteApplication
    {
        public FailingLogReads Reads { get; } = new();

        public App()
        {
            Settings["Realtime:GapWaitMilliseconds"] = "200";
            Settings["Realtime:FeedPartitions"] = "2";
        }

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s => s.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>(Reads));
        }
    }

    /// <summary>While <see cref="Failing"/>, every read of <c>board_events</c> throws (counted).</summary>
    public sealed class FailingLogReads : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        public volatile bool Failing;
        public int Failed;

        public override ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(
            System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData eventData,
            Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (Failing && command.CommandText.Contains("board_events", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref Failed);
                throw new InvalidOperationException("The event log is unreachable (test).");
            }
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }

    [Fact]
    public async Task AnotherBoardsEventsArriveWhileAGapsReadFailsAndTheGapIsFilledOnceTheLogAnswers()
    {
        var ada = await app.SignUpAsync();
        var source = await FeedEvents.SourceAsync(ada, 3);
        var stuck = await ada.CreateBoardAsync();
        var feed = app.Services.GetRequiredService<BoardEventFeed>();
        Guid other; // a board delivered by the same partition
        do other = await ada.CreateBoardAsync();
        while (feed.PartitionOf(other) != feed.PartitionOf(stuck));
        await using var socket = await RawSocketHub.ConnectAsync(app, ada);
        await socket.InvokeAsync("JoinBoard", stuck, 0);
        await socket.InvokeAsync("JoinBoard", other, 0);
        var forStuck = await FeedEvents.CopiedAsync(app, source, stuck);
        var forOther = await FeedEvents.CopiedAsync(app, source, other);

        app.Reads.Failing = true;
        try
        {
            await feed.PublishAsync(forStuck[1]); // seq 2 of the stuck board: seq 1 never comes, and the log cannot be read
            Assert.True(await LiveBoard.EventuallyAsync(() => Volatile.Read(ref app.Reads.Failed) >= 2), "the gap's read was not tried (again)");
            foreach (var e in forOther) await feed.PublishAsync(e);
            Assert.True(await LiveBoard.EventuallyAsync(() => socket.EventSeqs(other).Count() == 3, seconds: 5), "the other board's events were held back");
            Assert.Equal([1L, 2L, 3L], socket.EventSeqs(other));
            Assert.Empty(socket.EventSeqs(stuck));
        }
        finally
        {
            app.Reads.Failing = false;
        }
        // The log answers again: it has no seq 1 for the stuck board, so the line moves on and delivers seq 2.
        Assert.True(await LiveBoard.EventuallyAsync(() => socket.EventSeqs(stuck).Any()));
        Assert.Equal([2L], socket.EventSeqs(stuck));
    }
}

/// <summary>Real events to hand the feed directly, as if committed on another board.</summary>
internal static class FeedEvents
{
    /// <summary>A new board of <paramref name="user"/> whose log holds <paramref name="events"/> real task creations (seqs 1…n).</summary>
    public static async Task<Guid> SourceAsync(TestUser user, int events)
    {
        var source = await user.CreateBoardAsync();
        for (var i = 0; i < events; i++) await user.CreateTaskAsync(source, new { title = $"t{i}" });
        return source;
    }

    /// <summary>The event log of <paramref name="source"/>, in seq order, each copied as an event of <paramref name="board"/>.</summary>
    public static async Task<List<BoardEvent>> CopiedAsync(TaskHubApplication app, Guid source, Guid board)
    {
        using var scope = app.Services.CreateScope();
        var events = await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().BoardEvents.AsNoTracking()
            .Where(e => e.BoardId == source).OrderBy(e => e.Seq).ToListAsync();
        return [.. events.Select(e => As(e, board, e.Seq))];
    }

    /// <summary><paramref name="e"/> as the event <paramref name="seq"/> of <paramref name="board"/>.</summary>
    public static BoardEvent As(BoardEvent e, Guid board, long seq) => new()
    {
        BoardId = board, Seq = seq, Type = e.Type, TaskId = e.TaskId, ActorId = e.ActorId, TaskJson = e.TaskJson,
        ChangesJson = e.ChangesJson, SubjectJson = e.SubjectJson, At = e.At,
    };
}

/// <summary>A hub client on a raw WebSocket (JSON protocol, no negotiation) that keeps each WebSocket message's hub messages.</summary>
internal sealed class RawSocketHub : IAsyncDisposable
{
    private readonly WebSocket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private int _invocations;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonNode?>> _pending = new();

    /// <summary>Each WebSocket message received, as the hub messages it carried: target (or "completion"), and seq for an event.</summary>
    public ConcurrentQueue<List<(string Target, long? Seq, Guid? Board)>> Messages { get; } = new();

    private RawSocketHub(WebSocket socket)
    {
        _socket = socket;
        _reading = Task.Run(ReadAsync);
    }

    /// <param name="handshake">false: only the WebSocket upgrade (authenticated, the session checked); the hub
    /// registers the connection once <see cref="HandshakeAsync"/> sends the handshake.</param>
    public static async Task<RawSocketHub> ConnectAsync(TaskHubApplication app, TestUser user, bool handshake = true)
    {
        var uri = new UriBuilder(new Uri(app.Server.BaseAddress, $"hubs/board?access_token={Uri.EscapeDataString(user.AccessToken)}")) { Scheme = "ws" }.Uri;
        var socket = await app.Server.CreateWebSocketClient().ConnectAsync(uri, CancellationToken.None);
        if (handshake) await SendAsync(socket, """{"protocol":"json","version":1}""");
        return new RawSocketHub(socket);
    }

    public Task HandshakeAsync() => SendAsync(_socket, """{"protocol":"json","version":1}""");

    /// <summary>Over a real TCP connection to <paramref name="server"/> (a Kestrel fixture), whose socket's receive buffer
    /// is <paramref name="receiveBuffer"/> bytes: a client that stops reading (<see cref="Pause"/>) then fills the server's
    /// send buffers soon, as one on a slow network does.</summary>
    public static async Task<RawSocketHub> ConnectAsync(Uri server, TestUser user, int receiveBuffer)
    {
        var uri = new UriBuilder(new Uri(server, $"hubs/board?access_token={Uri.EscapeDataString(user.AccessToken)}")) { Scheme = "ws" }.Uri;
        var handler = new System.Net.Http.SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var tcp = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = receiveBuffer };
                await tcp.ConnectAsync(context.DnsEndPoint, ct);
                return new System.Net.Sockets.NetworkStream(tcp, ownsSocket: true);
            },
        };
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, new HttpMessageInvoker(handler), CancellationToken.None);
        await SendAsync(socket, """{"protocol":"json","version":1}""");
        return new RawSocketHub(socket);
    }

    private volatile TaskCompletionSource? _paused;

    /// <summary>Stops reading the socket (after the message being read, if any) until <see cref="Resume"/>.</summary>
    public void Pause() => _paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Resume() => Interlocked.Exchange(ref _paused, null)?.TrySetResult();

    /// <summary>Whether the server closed or dropped the connection (seen once the client reads again).</summary>
    public bool Closed => _reading.IsCompleted;

    /// <summary>The events' seqs, in the order received.</summary>
    public IEnumerable<long> EventSeqs(Guid? board = null) =>
        Messages.SelectMany(m => m).Where(h => h.Seq is not null && (board is null || h.Board == board)).Select(h => h.Seq!.Value);

    /// <summary>Invokes a hub method and waits for its completion (an error fails the test).</summary>
    public async Task InvokeAsync(string target, params object?[] args)
    {
        var id = Interlocked.Increment(ref _invocations).ToString();
        var done = _pending[id] = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendAsync(_socket, JsonSerializer.Serialize(new { type = 1, invocationId = id, target, arguments = args }));
        var completion = await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(completion?["error"]);
    }

    private static Task SendAsync(WebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json + '\u001e'), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
        {
            if (_paused is { } paused) await paused.Task;
            WebSocketReceiveResult r;
            try { r = await _socket.ReceiveAsync(buffer, _stop.Token); }
            catch (Exception) { return; }
            if (r.MessageType == WebSocketMessageType.Close) return;
            message.Write(buffer, 0, r.Count);
            if (!r.EndOfMessage) continue;
            var hubMessages = new List<(string, long?, Guid?)>();
            var completions = new List<(string Id, JsonNode Node)>();
            foreach (var record in Encoding.UTF8.GetString(message.ToArray()).Split('\u001e', StringSplitOptions.RemoveEmptyEntries))
            {
                var node = JsonNode.Parse(record)!;
                switch ((int?)node["type"])
                {
                    case 1:
                        var target = (string)node["target"]!;
                        var arg = node["arguments"]![0]!;
                        hubMessages.Add(target is "BoardHead" or "PresenceChanged" ? (target, null, null) : (target, (long?)arg["seq"], Guid.Parse((string)arg["boardId"]!)));
                        break;
                    case 3:
                        hubMessages.Add(("completion", null, null));
                        completions.Add(((string)node["invocationId"]!, node));
                        break;
                }
            }
            message.SetLength(0);
            if (hubMessages.Count > 0) Messages.Enqueue(hubMessages);
            // Only now: what rode along with a completion is in Messages before the invocation's caller goes on.
            foreach (var (id, node) in completions)
                if (_pending.TryRemove(id, out var done)) done.TrySetResult(node);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Resume();
        try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); } catch (Exception) { }
        await _reading.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _socket.Dispose();
    }
}
