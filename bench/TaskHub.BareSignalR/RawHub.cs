// The floor under the floor (Bare:RawWebSockets=true): the same /hubs/board and the same broadcast as Program.cs's
// bare SignalR hub, but over ASP.NET Core's WebSockets with none of SignalR's machinery — no hub protocol objects, no
// per-connection pipe and send loop, no lifetime manager. It speaks just enough of SignalR's JSON hub protocol for the
// bench's clients (light and full): the handshake, JoinBoard / LeaveBoard with their completions, BoardHead, pings
// every 15 s (SignalR's keep-alive), and close. A broadcast serialises its frame once and writes it to each joined
// WebSocket in turn (ManagedWebSocket → Kestrel's upgraded stream → the socket), as SignalR's group send does through
// its pipes. What this server costs per delivery is ASP.NET Core's and the kernel's share of a hub send on this machine;
// bare SignalR's figure less this one is SignalR's own.
using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

public sealed class RawHub(Boards boards)
{
    private static readonly byte[] HandshakeOk = "{}\u001e"u8.ToArray();
    private static readonly byte[] Ping = "{\"type\":6}\u001e"u8.ToArray();
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<RawConnection, byte>> _groups = new();
    private readonly ConcurrentDictionary<RawConnection, byte> _all = new();

    public sealed class RawConnection(WebSocket socket)
    {
        public readonly WebSocket Socket = socket;
        private readonly SemaphoreSlim _send = new(1, 1);

        /// <summary>One message at a time per socket (as SignalR's per-connection write lock); the uncontended path completes
        /// synchronously when the socket takes the frame at once.</summary>
        public async ValueTask SendAsync(ReadOnlyMemory<byte> frame)
        {
            await _send.WaitAsync();
            try { await Socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
            finally { _send.Release(); }
        }
    }

    /// <summary>SignalR's keep-alive: the clients' server timeout (30 s) needs a message at least that often.</summary>
    public async Task PingAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15));
        while (await timer.WaitForNextTickAsync(ct))
            await Task.WhenAll(_all.Keys.Select(c => c.SendAsync(Ping).AsTask())); // (one slow socket holds up no other)
    }

    /// <summary>The board's TaskCreated to each WebSocket joined to it, the frame built once.</summary>
    public async Task BroadcastAsync(Guid boardId, JsonObject e)
    {
        if (!_groups.TryGetValue(boardId, out var group)) return;
        var frame = Frame("TaskCreated", e);
        List<Task>? pending = null;
        foreach (var c in group.Keys)
        {
            var sent = c.SendAsync(frame);
            if (!sent.IsCompletedSuccessfully) (pending ??= []).Add(sent.AsTask());
        }
        if (pending is not null) await Task.WhenAll(pending);
    }

    private static byte[] Frame(string target, JsonNode argument)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("type", 1);
            w.WriteString("target", target);
            w.WriteStartArray("arguments");
            argument.WriteTo(w);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        buffer.Write("\u001e"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One WebSocket from accept to close: the handshake, then invocations (JoinBoard, LeaveBoard), pings, close.</summary>
    public async Task RunAsync(WebSocket socket, CancellationToken ct)
    {
        var c = new RawConnection(socket);
        var joined = new List<Guid>();
        var buffer = new ArrayBufferWriter<byte>(4096);
        var handshaken = false;
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var r = await socket.ReceiveAsync(buffer.GetMemory(4096), ct);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    break;
                }
                buffer.Advance(r.Count);
                if (!r.EndOfMessage) continue;
                // Each record ends with the record separator; a message may hold several.
                var data = buffer.WrittenMemory;
                int end;
                while ((end = data.Span.IndexOf((byte)0x1e)) >= 0)
                {
                    var record = data[..end];
                    data = data[(end + 1)..];
                    if (!handshaken)
                    {
                        if (Encoding.UTF8.GetString(record.Span).Contains("\"json\"", StringComparison.Ordinal))
                        {
                            handshaken = true;
                            _all.TryAdd(c, 0);
                            await c.SendAsync(HandshakeOk);
                            continue;
                        }
                        await c.SendAsync("{\"error\":\"only the json protocol\"}\u001e"u8.ToArray());
                        return;
                    }
                    await HandleAsync(c, record, joined);
                }
                buffer.ResetWrittenCount();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException) { }
        finally
        {
            _all.TryRemove(c, out _);
            foreach (var b in joined) if (_groups.TryGetValue(b, out var g)) g.TryRemove(c, out _);
        }
    }

    private async Task HandleAsync(RawConnection c, ReadOnlyMemory<byte> record, List<Guid> joined)
    {
        using var doc = JsonDocument.Parse(record);
        var root = doc.RootElement;
        if (root.GetProperty("type").GetInt32() != 1) return; // pings (6); close (7) ends with the socket
        var target = root.GetProperty("target").GetString();
        var id = root.TryGetProperty("invocationId", out var i) ? i.GetString() : null;
        var boardId = root.GetProperty("arguments")[0].GetGuid();
        if (target == "JoinBoard")
        {
            _groups.GetOrAdd(boardId, _ => new()).TryAdd(c, 0);
            joined.Add(boardId);
            // As the bare hub: the board's head first, then the invocation's completion.
            await c.SendAsync(Frame("BoardHead", new JsonObject { ["boardId"] = boardId, ["seq"] = Volatile.Read(ref boards.Get(boardId).Seq) }));
        }
        else if (target == "LeaveBoard" && _groups.TryGetValue(boardId, out var g))
        {
            g.TryRemove(c, out _);
            joined.Remove(boardId);
        }
        if (id is not null) await c.SendAsync(Encoding.UTF8.GetBytes($"{{\"type\":3,\"invocationId\":\"{id}\",\"result\":null}}\u001e"));
    }
}
