// The MessagePack hub protocol for the light clients (BENCH_PROTOCOL): the handshake, JoinBoard as a binary
// invocation, and a parser of length-prefixed MessagePack hub messages that reads just the target, seq and the
// writer's stamp. Plus the JSON vs MessagePack comparison table when both protocols ran in one process.
using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using MessagePack;

namespace TaskHub.Bench;

public static class MessagePackWire
{
    public const string Suffix = " · messagepack";
    public const string Handshake = "{\"protocol\":\"messagepack\",\"version\":1}\u001e";

    /// <summary>The protocol of the light clients of the configuration that is running now.</summary>
    public static bool On { get; private set; }

    /// <summary>WebSocket messages received by MessagePack light clients, the hub messages in them, and the most in one.</summary>
    public static long WsMessages, HubMessages, MaxPerWsMessage, WsMessagesWithSeveral;

    /// <summary>
    /// BENCH_PROTOCOL: json (default: the configurations as they are), messagepack (every configuration's light
    /// clients speak MessagePack), or a list such as json,messagepack / messagepack,json (each configuration runs
    /// once per protocol, in that order, in this process: the same servers, the same window).
    /// </summary>
    public static List<ServerConfig> Expand(List<ServerConfig> configs)
    {
        var protocols = (Environment.GetEnvironmentVariable("BENCH_PROTOCOL") ?? "json")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (protocols.Length == 0 || protocols is ["json"]) return configs;
        foreach (var p in protocols)
            if (p is not ("json" or "messagepack")) throw new ArgumentException($"BENCH_PROTOCOL: unknown protocol {p}");
        return configs.SelectMany(c => protocols.Select(p => c with { Name = p == "messagepack" ? c.Name + Suffix : c.Name })).ToList();
    }

    private static readonly HashSet<string> Seen = [];

    /// <summary>
    /// Called when a configuration starts: its light clients speak the protocol its name says. A server measured
    /// before (the other protocol) first gets time to finish dropping the previous run's clients.
    /// </summary>
    public static async Task UseAsync(ServerConfig config)
    {
        On = config.Name.EndsWith(Suffix, StringComparison.Ordinal);
        if (!Seen.Add(string.Join(",", config.Urls)))
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var until = DateTime.UtcNow.AddSeconds(90);
            while (DateTime.UtcNow < until)
            {
                try
                {
                    foreach (var url in config.Urls) (await http.GetAsync(url + "/metrics")).EnsureSuccessStatusCode();
                    break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { await Task.Delay(1000); }
            }
            await Task.Delay(5000);
        }
        Interlocked.Exchange(ref WsMessages, 0);
        Interlocked.Exchange(ref HubMessages, 0);
        Interlocked.Exchange(ref MaxPerWsMessage, 0);
        Interlocked.Exchange(ref WsMessagesWithSeveral, 0);
        Console.WriteLine($"light clients speak {(On ? "MessagePack" : "JSON")} (full HubConnection clients: JSON)");
    }

    /// <summary>After a configuration: how many hub messages the server put in one WebSocket message.</summary>
    public static void PrintBatching()
    {
        if (!On || WsMessages == 0) return;
        Console.WriteLine($"WebSocket messages received by light clients: {WsMessages:N0} carrying {HubMessages:N0} hub messages " +
                          $"({(double)HubMessages / WsMessages:0.00} per WebSocket message; {WsMessagesWithSeveral:N0} carried more than one; at most {MaxPerWsMessage})");
    }

    /// <summary><c>JoinBoard(board, afterSeq)</c> as a MessagePack invocation with its length prefix.</summary>
    public static byte[] JoinBoard(Guid board, long? afterSeq)
    {
        var body = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(body);
        w.WriteArrayHeader(6);
        w.Write(1); // Invocation
        w.WriteMapHeader(0); // headers
        w.Write("1"); // invocation id
        w.Write("JoinBoard");
        w.WriteArrayHeader(2);
        w.Write(board.ToString());
        if (afterSeq is { } a) w.Write(a); else w.WriteNil();
        w.WriteArrayHeader(0); // stream ids
        w.Flush();
        var framed = new List<byte>(body.WrittenCount + 5);
        for (var n = (uint)body.WrittenCount; ; n >>= 7)
        {
            if (n < 0x80) { framed.Add((byte)n); break; }
            framed.Add((byte)(n | 0x80));
        }
        framed.AddRange(body.WrittenSpan.ToArray());
        return framed.ToArray();
    }

    public enum Kind { Other, Task, Head, Completion, Stopping }

    /// <summary>One hub message; for <see cref="Kind.Stopping"/> (<c>ServerStopping</c>) <see cref="Seq"/> carries moveWithinMs
    /// and <see cref="Stamp"/> 1 when its reason is <c>rebalancing</c>.</summary>
    public readonly record struct Record(Kind Kind, long Seq, long Stamp, string? Error)
    {
        public long MoveWithinMs => Kind == Kind.Stopping ? Seq : 0;
        public bool Rebalancing => Kind == Kind.Stopping && Stamp == 1;
    }

    /// <summary>Splits one WebSocket message into its length-prefixed hub messages and parses each.</summary>
    public static void ForEach(ReadOnlyMemory<byte> data, Action<Record, int> each)
    {
        var count = 0;
        while (data.Length > 0)
        {
            var span = data.Span;
            uint length = 0;
            var prefix = 0;
            for (var shift = 0; ; shift += 7)
            {
                if (prefix == span.Length || prefix == 5) return; // malformed: a WebSocket message holds whole hub messages
                var b = span[prefix++];
                length |= (uint)(b & 0x7f) << shift;
                if (b < 0x80) break;
            }
            if (prefix + length > data.Length) return;
            each(Parse(data.Slice(prefix, (int)length)), prefix + (int)length);
            count++;
            data = data[(prefix + (int)length)..];
        }
        Interlocked.Increment(ref WsMessages);
        Interlocked.Add(ref HubMessages, count);
        if (count > 1) Interlocked.Increment(ref WsMessagesWithSeveral);
        for (var max = Interlocked.Read(ref MaxPerWsMessage); count > max; max = Interlocked.Read(ref MaxPerWsMessage))
            if (Interlocked.CompareExchange(ref MaxPerWsMessage, count, max) == max) break;
    }

    private static Record Parse(ReadOnlyMemory<byte> message)
    {
        var r = new MessagePackReader(message);
        var items = r.ReadArrayHeader();
        var type = r.ReadInt32();
        if (type == 3) // Completion: [3, headers, invocationId, resultKind, error?]
        {
            r.Skip();
            r.Skip();
            var kind = r.ReadInt32();
            return new Record(Kind.Completion, 0, 0, kind == 1 ? r.ReadString() ?? "error" : null);
        }
        if (type != 1 || items < 5) return default; // pings, closes
        r.Skip(); // headers
        r.Skip(); // invocation id
        var target = r.ReadStringSequence() is { } t ? Encoding.UTF8.GetString(t) : "";
        var what = target.StartsWith("Task", StringComparison.Ordinal) ? Kind.Task : target == "BoardHead" ? Kind.Head
            : target == "ServerStopping" ? Kind.Stopping : Kind.Other;
        if (what == Kind.Other || r.ReadArrayHeader() < 1 || r.NextMessagePackType != MessagePackType.Map) return new Record(what, 0, 0, null);
        long seq = 0, stamp = 0;
        for (var fields = r.ReadMapHeader(); fields > 0; fields--)
        {
            var key = r.ReadString();
            if (key == "seq") seq = r.ReadInt64();
            else if (what == Kind.Stopping && string.Equals(key, "moveWithinMs", StringComparison.OrdinalIgnoreCase) && r.NextMessagePackType == MessagePackType.Integer)
                seq = r.ReadInt64(); // ServerStopping's one argument, { moveWithinMs, reason }
            else if (what == Kind.Stopping && key == "reason" && r.NextMessagePackType == MessagePackType.String)
                stamp = r.ReadString() == "rebalancing" ? 1 : 0;
            else if (key == "changes" && r.NextMessagePackType == MessagePackType.Array) // a delta: the title is one of its changes
            {
                for (var changes = r.ReadArrayHeader(); changes > 0; changes--)
                    for (var changeFields = r.ReadMapHeader(); changeFields > 0; changeFields--)
                    {
                        if (r.ReadString() != "to" || r.NextMessagePackType != MessagePackType.String) r.Skip();
                        else if (r.ReadString() is { } to && to.StartsWith("b|", StringComparison.Ordinal)) long.TryParse(to.AsSpan(2), out stamp);
                    }
            }
            else if (key == "task" && r.NextMessagePackType == MessagePackType.Map)
            {
                for (var taskFields = r.ReadMapHeader(); taskFields > 0; taskFields--)
                {
                    if (r.ReadString() != "title") r.Skip();
                    else if (r.ReadString() is { } title && title.StartsWith("b|", StringComparison.Ordinal)) long.TryParse(title.AsSpan(2), out stamp);
                }
            }
            else r.Skip();
        }
        return new Record(what, seq, stamp, null);
    }

    /// <summary>The configurations by protocol (JSON first), each group reported as a run of its own.</summary>
    public static IEnumerable<List<ServerConfig>> ByProtocol(List<ServerConfig> configs) =>
        configs.GroupBy(c => c.Name.EndsWith(Suffix, StringComparison.Ordinal)).OrderBy(g => g.Key).Select(g => g.ToList());

    /// <summary>Each configuration that ran in both protocols (or, with another <paramref name="suffix"/>, both event shapes)
    /// side by side, medians over reps.</summary>
    public static void PrintComparison(List<PointResult> all, int[] ns, string suffix = Suffix, string title = "JSON vs MessagePack", string ratio = "MessagePack ÷ JSON")
    {
        var pairs = all.Select(r => r.Config).Distinct().Where(c => c.Contains(suffix, StringComparison.Ordinal))
            .Select(c => (json: c.Replace(suffix, "", StringComparison.Ordinal), pack: c)).Where(p => all.Any(r => r.Config == p.json)).ToList();
        if (pairs.Count == 0) return;
        static double Median(IEnumerable<double> xs)
        {
            var a = xs.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
            return a.Length == 0 ? double.NaN : a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
        }
        Console.WriteLine();
        Console.WriteLine($"=== {title} (light clients; medians over reps; ratio = {ratio})");
        Console.WriteLine($"| setup | N | raw CPU µs/delivery {title.Replace(" vs ", " → ")} (ratio) | CPU µs/delivery, idle subtracted | p50 ms | p99 ms | target ≤ 12 µs raw at 5,000 |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var (json, pack) in pairs)
            foreach (var n in ns)
            {
                var a = all.Where(r => r.Config == json && r.N == n).ToList();
                var b = all.Where(r => r.Config == pack && r.N == n).ToList();
                if (a.Count == 0 || b.Count == 0) continue;
                string Pair(Func<PointResult, double> f, string fmt) => $"{Median(a.Select(f)).ToString(fmt)} → {Median(b.Select(f)).ToString(fmt)} ({Median(b.Select(f)) / Median(a.Select(f)):0.00}×)";
                var raw = Median(b.Select(r => r.RawCpuUsPerDelivery));
                Console.WriteLine($"| {json} | {n:N0} | {Pair(r => r.RawCpuUsPerDelivery, "0.0")} | {Pair(r => r.CpuUsPerDelivery, "0.0")} | {Pair(r => r.P50, "0.0")} | {Pair(r => r.P99, "0.0")} | " +
                                  $"{(n == 5000 ? $"{raw:0.0} / 12 = {raw / 12:0.00}× the target" : "")} |");
            }
    }
}

public sealed partial class LightClient
{
    private async Task SendBinaryAsync(byte[] message, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct);
        try { await _ws.SendAsync(message, WebSocketMessageType.Binary, true, ct); }
        finally { _sendLock.Release(); }
    }

    /// <summary>The rest of a WebSocket message after the handshake, in the MessagePack protocol.</summary>
    private void HandleMessagePack(ReadOnlyMemory<byte> data, long now) => MessagePackWire.ForEach(data, (r, bytes) =>
    {
        switch (r.Kind)
        {
            case MessagePackWire.Kind.Task:
                Track.Event(r.Seq);
                OnTaskSeq?.Invoke(r.Seq);
                OnTask?.Invoke(r.Seq, r.Stamp, now);
                _sink.Record(r.Stamp, now);
                Interlocked.Add(ref _sink.FrameBytes, bytes);
                Interlocked.Increment(ref _sink.Frames);
                break;
            case MessagePackWire.Kind.Head:
                Track.Head(r.Seq);
                OnHead?.Invoke(r.Seq);
                break;
            case MessagePackWire.Kind.Stopping:
                ServerStopping(r.MoveWithinMs, r.Rebalancing, now);
                break;
            case MessagePackWire.Kind.Completion when r.Error is not null:
                _joined.TrySetException(new Exception("JoinBoard: " + r.Error));
                break;
            case MessagePackWire.Kind.Completion:
                _joined.TrySetResult();
                break;
        }
    });
}
