using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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
        var source = await ada.CreateBoardAsync();
        for (var i = 0; i < 31; i++) await ada.CreateTaskAsync(source, new { title = $"t{i}" });
        var board = await ada.CreateBoardAsync();
        await using var socket = await RawSocketHub.ConnectAsync(app, ada);
        await socket.InvokeAsync("JoinBoard", board, 0); // the board's line here starts at seq 1

        // The source board's 31 real events, as events of the watched board; seq 1 comes last, so seqs 2–31 wait in the
        // line for it (Realtime:GapWaitMilliseconds is long here) and are all taken at once when it arrives.
        List<BoardEvent> events;
        using (var scope = app.Services.CreateScope())
            events = await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().BoardEvents.AsNoTracking()
                .Where(e => e.BoardId == source).OrderBy(e => e.Seq).ToListAsync();
        Assert.Equal(31, events.Count);
        var feed = app.Services.GetRequiredService<BoardEventFeed>();
        foreach (var e in events.Skip(1).Append(events[0]))
        {
            e.BoardId = board;
            await feed.PublishAsync(e);
        }

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

/// <summary>A hub client on a raw WebSocket (JSON protocol, no negotiation) that keeps each WebSocket message's hub messages.</summary>
internal sealed class RawSocketHub : IAsyncDisposable
{
    private readonly WebSocket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private int _invocations;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonNode?>> _pending = new();

    /// <summary>Each WebSocket message received, as the hub messages it carried: target (or "completion"), and seq for an event.</summary>
    public ConcurrentQueue<List<(string Target, long? Seq)>> Messages { get; } = new();

    private RawSocketHub(WebSocket socket)
    {
        _socket = socket;
        _reading = Task.Run(ReadAsync);
    }

    public static async Task<RawSocketHub> ConnectAsync(TaskHubApplication app, TestUser user)
    {
        var uri = new UriBuilder(new Uri(app.Server.BaseAddress, $"hubs/board?access_token={Uri.EscapeDataString(user.AccessToken)}")) { Scheme = "ws" }.Uri;
        var socket = await app.Server.CreateWebSocketClient().ConnectAsync(uri, CancellationToken.None);
        await SendAsync(socket, """{"protocol":"json","version":1}""");
        return new RawSocketHub(socket);
    }

    /// <summary>The events' seqs, in the order received.</summary>
    public IEnumerable<long> EventSeqs() => Messages.SelectMany(m => m).Where(h => h.Seq is not null).Select(h => h.Seq!.Value);

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
            WebSocketReceiveResult r;
            try { r = await _socket.ReceiveAsync(buffer, _stop.Token); }
            catch (Exception) { return; }
            if (r.MessageType == WebSocketMessageType.Close) return;
            message.Write(buffer, 0, r.Count);
            if (!r.EndOfMessage) continue;
            var hubMessages = new List<(string, long?)>();
            foreach (var record in Encoding.UTF8.GetString(message.ToArray()).Split('\u001e', StringSplitOptions.RemoveEmptyEntries))
            {
                var node = JsonNode.Parse(record)!;
                switch ((int?)node["type"])
                {
                    case 1:
                        var target = (string)node["target"]!;
                        hubMessages.Add((target, target is "BoardHead" or "PresenceChanged" ? null : (long?)node["arguments"]![0]!["seq"]));
                        break;
                    case 3:
                        hubMessages.Add(("completion", null));
                        if (_pending.TryRemove((string)node["invocationId"]!, out var done)) done.TrySetResult(node);
                        break;
                }
            }
            message.SetLength(0);
            if (hubMessages.Count > 0) Messages.Enqueue(hubMessages);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); } catch (Exception) { }
        await _reading.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _socket.Dispose();
    }
}
