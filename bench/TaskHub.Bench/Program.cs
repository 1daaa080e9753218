// TaskHub fan-out benchmark: write→receive latency, deliveries/s, server CPU per delivery, memory per idle
// connection, catch-up time, lost/out-of-order events; for the Redis-backed cluster and a single in-process
// replica (the baseline), in one run. Configuration comes from environment variables (see bench/run.sh).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace TaskHub.Bench;

public static class Program
{
    static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

    public static async Task<int> Main()
    {
        var configs = new List<ServerConfig>();
        var clusterUrls = Env("BENCH_CLUSTER_URLS", "");
        if (clusterUrls.Length > 0)
            configs.Add(new ServerConfig($"cluster ({Split(clusterUrls).Length} replicas + Redis)", Split(clusterUrls), Split(Env("BENCH_CLUSTER_PIDS", "")).Select(int.Parse).ToArray()));
        var baseUrl = Env("BENCH_BASE_URL", "");
        if (baseUrl.Length > 0)
            configs.Add(new ServerConfig("baseline (1 replica, in-process)", [baseUrl], Split(Env("BENCH_BASE_PID", "")).Select(int.Parse).ToArray()));
        if (configs.Count == 0 || configs[0].IsBare()) { Console.Error.WriteLine("set BENCH_CLUSTER_URLS and/or BENCH_BASE_URL"); return 2; }
        // Cluster first or baseline first: the order alternates by nothing; BENCH_ORDER=base-first flips it.
        if (Env("BENCH_ORDER", "") == "base-first") configs.Reverse();
        configs = DeltaWire.Expand(configs); // BENCH_EVENTS: each configuration once per event shape
        configs = MessagePackWire.Expand(configs); // BENCH_PROTOCOL: each configuration once per protocol
        // The floor: a bare SignalR server (bench/TaskHub.BareSignalR, JSON only), same clients, same writes, same frame size.
        var bareUrl = Env("BENCH_BARE_URL", "");
        if (bareUrl.Length > 0)
            configs.Add(new ServerConfig("bare SignalR (1 server)" + Label(Env("BENCH_BARE_LABEL", "")), [bareUrl], Split(Env("BENCH_BARE_PID", "")).Select(int.Parse).ToArray()));
        // BENCH_BARE2_URL (run.sh's BENCH_BARE2_ENV): a second bare server with other runtime/transport settings, measured next.
        var bare2Url = Env("BENCH_BARE2_URL", "");
        if (bareUrl.Length > 0 && bare2Url.Length > 0)
            configs.Add(new ServerConfig("bare SignalR (2nd server)" + Label(Env("BENCH_BARE2_LABEL", "")), [bare2Url], Split(Env("BENCH_BARE2_PID", "")).Select(int.Parse).ToArray()));
        var points = Split(Env("BENCH_POINTS", "fanout,manyboards,writes,storm"));

        var ns = Split(Env("BENCH_NS", "100,1000,5000")).Select(int.Parse).OrderBy(n => n).ToArray();
        var opts = new BenchOptions(
            Reps: int.Parse(Env("BENCH_REPS", "3")),
            Seconds: double.Parse(Env("BENCH_SECONDS", "15"), CultureInfo.InvariantCulture),
            Rate: double.Parse(Env("BENCH_RATE", "10"), CultureInfo.InvariantCulture),
            FullClients: int.Parse(Env("BENCH_FULL_CLIENTS", "24")),
            CatchUpEvents: int.Parse(Env("BENCH_CATCHUP", "1000")),
            LocalAddresses: int.Parse(Env("BENCH_LOCAL_ADDRS", "40")));

        Console.WriteLine($"TaskHub bench {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, N={string.Join("/", ns)}, " +
                          $"{opts.Reps} reps × {opts.Seconds:0} s at {opts.Rate:0} writes/s, {opts.FullClients} full HubConnection clients per point");
        Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");

        // Users and boards once, through the first server (all servers share one database and signing key).
        var setup = await Setup.CreateAsync(configs[0].Urls[0], opts.CatchUpEvents);
        // Every bare server sends the real event as its template (the same frame size as TaskHub's); the second one too.
        foreach (var url in new[] { bareUrl, bare2Url }.Where(u => u.Length > 0))
            await Points.PostBareTemplateAsync(url, configs[0].Urls[0], setup);
        await DeltaWire.CreatePoolAsync(configs[0].Urls[0], setup);
        var all = new List<PointResult>();
        foreach (var config in points.Contains("fanout") ? configs : [])
        {
            Console.WriteLine();
            Console.WriteLine($"=== {config.Name}: {string.Join(", ", config.Urls)} (pids {string.Join(",", config.Pids)})");
            var results = await new Runner(config, setup, opts).RunAsync(ns);
            all.AddRange(results);
            WaitForIdle(config);
        }
        if (points.Contains("fanout"))
        {
            foreach (var group in MessagePackWire.ByProtocol(configs)) Report.Print(all, group, ns);
            MessagePackWire.PrintComparison(all, ns);
            MessagePackWire.PrintComparison(all, ns, DeltaWire.Suffix, "full vs delta events", "delta ÷ full");
        }
        await Points.RunAsync(points, configs.Where(c => !c.Name.EndsWith(MessagePackWire.Suffix, StringComparison.Ordinal) && !c.Name.Contains(DeltaWire.Suffix, StringComparison.Ordinal)).ToList(), setup, opts);
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    static void WaitForIdle(ServerConfig config) => Thread.Sleep(2000);

    static string Label(string env) => env.Length > 0 ? $" [{env}]" : "";

    static string[] Split(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public sealed record ServerConfig(string Name, string[] Urls, int[] Pids);

/// <summary>
/// BENCH_TRACE=&lt;dir&gt; (with BENCH_DOTNET_TRACE naming dotnet-trace): a CPU profile (collect-linux, perf sampling) of the
/// first server process of each configuration during the last rep at BENCH_TRACE_N (default 5,000) clients, for
/// bench/TaskHub.CpuProfile. That rep's CPU figures include the profiler: read the other reps'.
/// </summary>
public static class Profile
{
    /// <summary>BENCH_TRACE_PHASE: <c>fanout</c> (the default: the last rep's writes and deliveries), <c>connect</c> (the N
    /// clients connecting and joining, BENCH_TRACE_CONNECT_SECONDS long, 8 by default), <c>storm</c> (the survivor of
    /// each storm rep from 2 s before the stop, BENCH_TRACE_STORM_SECONDS long, 12 by default) or <c>stopping</c> (the
    /// stopped replica of each storm rep, BENCH_TRACE_STOPPING_SECONDS in all from 2 s before its SIGTERM, 8 by default).</summary>
    public static string Phase => Environment.GetEnvironmentVariable("BENCH_TRACE_PHASE") is { Length: > 0 } p ? p : "fanout";

    /// <summary>Profiles <paramref name="pid"/> (the configuration's first process unless given) for about
    /// <paramref name="seconds"/> when BENCH_TRACE asks for this phase and N; <paramref name="tag"/> goes into the file name.</summary>
    public static Process? Start(ServerConfig config, int n, double seconds, string phase = "fanout", int? pid = null, string tag = "")
    {
        var dir = Environment.GetEnvironmentVariable("BENCH_TRACE");
        if (string.IsNullOrEmpty(dir) || phase != Phase ||
            n != int.Parse(Environment.GetEnvironmentVariable("BENCH_TRACE_N") ?? "5000", CultureInfo.InvariantCulture)) return null;
        Directory.CreateDirectory(dir);
        var name = new string(config.Name.Select(ch => char.IsLetterOrDigit(ch) ? ch : '-').ToArray());
        var file = Path.Combine(dir, $"{phase}-{name}-{n}{tag}.nettrace");
        var target = pid ?? config.Pids[0];
        // BENCH_TRACE_KIND=jit: the runtime's JIT events instead of CPU samples (which methods it compiled, at which tier:
        // bench/TaskHub.CpuProfile's `jit` mode reads them).
        var jit = Environment.GetEnvironmentVariable("BENCH_TRACE_KIND") == "jit";
        string[] what = jit ? ["collect", "--providers", "Microsoft-Windows-DotNETRuntime:0x10:5"] : ["collect-linux", "--profile", "cpu-sampling"];
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("BENCH_DOTNET_TRACE") ?? "dotnet-trace",
            [.. what, "-p", target.ToString(CultureInfo.InvariantCulture),
             "--duration", TimeSpan.FromSeconds(Math.Max(1, seconds - 2)).ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture), "-o", file])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        Console.WriteLine($"  profiling pid {target} into {file}");
        var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        return p;
    }
}
public sealed record BenchOptions(int Reps, double Seconds, double Rate, int FullClients, int CatchUpEvents, int LocalAddresses);

public sealed record PointResult(string Config, int N, int Rep, double P50, double P99, double P999, double DeliveriesPerSec,
    double CpuUsPerDelivery, double HeapKbPerConn, double RssKbPerConn, double CatchUpMs, long Lost, long OutOfOrder, long Deliveries, long Writes, double WriteP50 = 0, double WriteP99 = 0, double RawCpuUsPerDelivery = 0,
    double[]? RawCpuUsPerDeliveryByPid = null);

/// <summary>Users, tokens and boards shared by every configuration.</summary>
public sealed class Setup
{
    public required Guid Board { get; init; }
    public required Guid CatchUpBoard { get; init; }
    public required string[] Tokens { get; init; }   // readers (members of both boards)
    public required string WriterToken { get; init; }

    public static async Task<Setup> CreateAsync(string url, int catchUpEvents)
    {
        var sw = Stopwatch.StartNew();
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        var run = DateTime.UtcNow.ToString("yyyyMMddHHmmss") + Random.Shared.Next(1000, 9999);
        const string password = "Bench-Passw0rd!";
        // Readers connect to the hub only: they carry the short hub token in the URL as the browser does (BENCH_HUB_TOKEN=0: the JWT).
        var hubTokens = Environment.GetEnvironmentVariable("BENCH_HUB_TOKEN") != "0";
        async Task<string> User(string name, bool hub = false)
        {
            var email = $"{name}-{run}@bench.example";
            var r = await http.PostAsJsonAsync("/api/auth/register", new { email, password, displayName = $"{name} {run}" });
            if (!r.IsSuccessStatusCode) throw new Exception($"register {email}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password });
            login.EnsureSuccessStatusCode();
            var tokens = await login.Content.ReadFromJsonAsync<JsonElement>();
            return (hub && tokens.TryGetProperty("hubToken", out var h) ? h : tokens.GetProperty("accessToken")).GetString()!;
        }
        var writer = await User("writer");
        // Few reader users: presence is per user, so N connections of 8 users cause 8 presence broadcasts, not N.
        var readers = new string[8];
        for (var i = 0; i < readers.Length; i++) readers[i] = await User($"reader{i}", hub: hubTokens);

        async Task<Guid> Board(string name)
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "/api/boards") { Content = JsonContent.Create(new { name }) };
            req.Headers.Authorization = new("Bearer", writer);
            var r = await http.SendAsync(req);
            r.EnsureSuccessStatusCode();
            var id = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            for (var i = 0; i < readers.Length; i++)
            {
                using var m = new HttpRequestMessage(HttpMethod.Post, $"/api/boards/{id}/members")
                { Content = JsonContent.Create(new { email = $"reader{i}-{run}@bench.example", role = "member" }) };
                m.Headers.Authorization = new("Bearer", writer);
                (await http.SendAsync(m)).EnsureSuccessStatusCode();
            }
            return id;
        }
        var board = await Board($"bench {run}");
        var catchUp = await Board($"bench catch-up {run}");
        // The catch-up board gets its events up front (8 writers in parallel).
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= catchUpEvents + 10)
            {
                using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/boards/{catchUp}/tasks") { Content = JsonContent.Create(new { title = "seed" }) };
                req.Headers.Authorization = new("Bearer", writer);
                (await http.SendAsync(req)).EnsureSuccessStatusCode();
            }
        }));
        Console.WriteLine($"setup: 9 users, 2 boards, {catchUpEvents + 10} catch-up events in {sw.Elapsed.TotalSeconds:0.0} s");
        return new Setup { Board = board, CatchUpBoard = catchUp, Tokens = readers, WriterToken = writer };
    }
}

/// <summary>What every receiver reports into: latencies of the current phase, deliveries, order checks.</summary>
public sealed class Sink
{
    public static readonly double TicksPerMs = Stopwatch.Frequency / 1000.0;
    private int[] _lat = new int[4_000_000]; // microseconds
    private int _count;
    public volatile bool Recording;
    public long Deliveries;
    public long FrameBytes, Frames; // task frames received by light clients, all phases

    public void Reset(int capacity)
    {
        if (_lat.Length < capacity) _lat = new int[capacity];
        _count = 0;
        Interlocked.Exchange(ref Deliveries, 0);
    }

    public void Record(long sentTicks, long nowTicks)
    {
        if (!Recording || sentTicks == 0) return;
        Interlocked.Increment(ref Deliveries);
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _lat.Length) _lat[i] = (int)Math.Min(int.MaxValue, (nowTicks - sentTicks) * 1_000_000 / Stopwatch.Frequency);
    }

    public (double p50, double p99, double p999, int count) Percentiles()
    {
        var n = Math.Min(_count, _lat.Length);
        if (n == 0) return (double.NaN, double.NaN, double.NaN, 0);
        var a = _lat.AsSpan(0, n).ToArray();
        Array.Sort(a);
        double P(double q) => a[Math.Min(n - 1, (int)Math.Ceiling(q * n) - 1)] / 1000.0;
        return (P(0.50), P(0.99), P(0.999), n);
    }
}

/// <summary>
/// One receiver's view of the board. Received counts every task event; one that arrives after a later seq is
/// out of order (it still counts as received). Lost = written − received, per client, per rep.
/// </summary>
public sealed class Track
{
    public long LastSeq = -1;
    public long Received;
    public long OutOfOrder;
    public long WsMessages; // WebSocket messages that carried task events (light clients): several queued events go in one

    public void Head(long seq) { if (LastSeq < 0) LastSeq = seq; }

    public void Event(long seq)
    {
        Received++;
        if (LastSeq >= 0 && seq <= LastSeq) { OutOfOrder++; return; }
        LastSeq = seq;
    }
}

public interface IReceiver : IAsyncDisposable
{
    Track Track { get; }
}

/// <summary>
/// A light hub client: a raw WebSocket bound to a chosen 127.0.0.x source address, the SignalR JSON handshake (or
/// MessagePack's, BENCH_PROTOCOL: MessagePackWire.cs),
/// JoinBoard, then it only reads frames, pulls seq and the writer's timestamp out of task events, and records.
/// </summary>
public sealed partial class LightClient : IReceiver
{
    static readonly byte[] RS = [0x1e];
    static readonly byte[] TargetTask = "\"target\":\"Task"u8.ToArray();
    static readonly byte[] TargetHead = "\"target\":\"BoardHead\""u8.ToArray();
    static readonly byte[] TargetStopping = "\"target\":\"ServerStopping\""u8.ToArray();
    static readonly byte[] MoveWithinKey = "\"moveWithinMs\":"u8.ToArray();
    static readonly byte[] ReasonRebalancing = "\"reason\":\"rebalancing\""u8.ToArray();
    static readonly byte[] SeqKey = "\"seq\":"u8.ToArray();
    static readonly byte[] StampKey = "\"title\":\"b|"u8.ToArray();
    static readonly byte[] DeltaStampKey = "\"to\":\"b|"u8.ToArray(); // a delta's title change
    static readonly byte[] TypeCompletion = "\"type\":3"u8.ToArray();
    static readonly byte[] ErrorKey = "\"error\":"u8.ToArray();

    public Track Track { get; } = new();
    private readonly ClientWebSocket _ws = new();
    private readonly Sink _sink;
    private readonly CancellationTokenSource _cts = new();
    private Task? _loop;
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public Action<long>? OnTaskSeq; // used by the catch-up probe
    public Action<long>? OnHead;    // BoardHead seqs (the reconnect storm)
    /// <summary>Every task event: its seq, the writer's stamp in its title (0 when it has none) and when its WebSocket message
    /// arrived (Stopwatch ticks); the reconnect storm's viewers (<see cref="BoardViewer"/>).</summary>
    public Action<long, long, long>? OnTask;
    /// <summary>One <c>ServerStopping</c> (an ask to move): moveWithinMs (open a new connection within it, then close this
    /// one), whether it said <c>rebalancing</c> (the replica is not stopping but asks this connection to move elsewhere,
    /// Realtime:Rebalance:AskToMove), and when it arrived (Stopwatch ticks).</summary>
    public readonly record struct Ask(int MoveWithinMs, bool Rebalancing, long At);
    private readonly List<Ask> _asks = []; // every ServerStopping of this connection, in order (under its own lock)
    private TaskCompletionSource _askArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>This connection's ask number <paramref name="index"/> (0: the first), once it has arrived. A rebalancing
    /// replica asks a connection again when its move did not happen within the grace, and a stop may follow a rebalancing
    /// ask: the browser follows each, and so does the storm point (before the forty-fourth round it followed only the first).</summary>
    public async Task<Ask> AskAsync(int index)
    {
        while (true)
        {
            Task arrived;
            lock (_asks)
            {
                if (_asks.Count > index) return _asks[index];
                arrived = _askArrived.Task;
            }
            await arrived;
        }
    }

    /// <summary>How many asks arrived before <paramref name="ticks"/> (a Stopwatch timestamp).</summary>
    public int AsksBefore(long ticks)
    {
        lock (_asks) return _asks.Count(a => a.At < ticks);
    }
    /// <summary>Completes when the connection closed (the server went away, or DisposeAsync).</summary>
    public Task Closed => _loop ?? Task.CompletedTask;

    private LightClient(Sink sink) { _sink = sink; _ws.Options.KeepAliveInterval = TimeSpan.Zero; }

    static int _addr;
    static bool _noPortOk = true;
    static SocketsHttpHandler? _handler;
    static HttpMessageInvoker? _invoker;

    /// <summary>Whether the light clients say they move when their replica stops (<c>?handover=1</c>; BENCH_STORM_HANDOVER, default 1):
    /// a replica asks only those, and closes the others at its stop (the old way, the storm's A/B).</summary>
    public static readonly bool Handover = Points.EnvInt("BENCH_STORM_HANDOVER", 1) != 0;

    public static void Init(int localAddresses)
    {
        _handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(20),
            ConnectCallback = async (ctx, ct) =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    // Spread source addresses over 127.0.0.2..: each has its own ephemeral port range.
                    var a = Interlocked.Increment(ref _addr) % localAddresses;
                    if (_noPortOk) try { s.SetRawSocketOption(0 /* SOL_IP */, 24 /* IP_BIND_ADDRESS_NO_PORT */, BitConverter.GetBytes(1)); } catch { _noPortOk = false; }
                    s.Bind(new IPEndPoint(new IPAddress(new byte[] { 127, 0, (byte)(a / 250), (byte)(2 + a % 250) }), 0));
                    await s.ConnectAsync(ctx.DnsEndPoint, ct);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch { s.Dispose(); throw; }
            },
        };
        _invoker = new HttpMessageInvoker(_handler);
    }

    /// <summary>Connects, handshakes, joins; returns once the JoinBoard completion arrived.</summary>
    public static async Task<LightClient> ConnectAsync(string baseUrl, string token, Guid board, long? afterSeq, Sink sink)
    {
        var c = await OpenAsync(baseUrl, token, sink, null);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await c.JoinAsync(board, afterSeq, timeout.Token);
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connects and completes the SignalR handshake.</summary>
    /// <param name="move">A move's new connection (<c>?move=1</c>, as the browser's): a replica still waiting for the moves
    /// it asked for refuses it.</param>
    public static async Task<LightClient> OpenAsync(string baseUrl, string token, Sink sink, Action<long>? onTaskSeq, Action<long, long, long>? onTask = null, bool move = false)
    {
        var c = new LightClient(sink) { OnTaskSeq = onTaskSeq, OnTask = onTask };
        try
        {
            var uri = new Uri(baseUrl.Replace("http://", "ws://") + "/hubs/board?access_token=" + Uri.EscapeDataString(token) + DeltaWire.Query(first: false) + (Handover ? "&handover=1" : "") + (move ? "&move=1" : ""));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await c._ws.ConnectAsync(uri, _invoker, timeout.Token);
            await c.SendAsync(MessagePackWire.On ? MessagePackWire.Handshake : "{\"protocol\":\"json\",\"version\":1}\u001e", timeout.Token);
            c._loop = Task.Run(c.ReadLoop);
            await c._handshake.Task.WaitAsync(timeout.Token);
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    public async Task JoinAsync(Guid board, long? afterSeq, CancellationToken ct, bool wait = true)
    {
        var after = afterSeq is { } a ? a.ToString(CultureInfo.InvariantCulture) : "null";
        if (MessagePackWire.On) await SendBinaryAsync(MessagePackWire.JoinBoard(board, afterSeq), ct);
        else await SendAsync($"{{\"type\":1,\"invocationId\":\"1\",\"target\":\"JoinBoard\",\"arguments\":[\"{board}\",{after}]}}\u001e", ct);
        if (wait) await _joined.Task.WaitAsync(ct);
    }

    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private async Task SendAsync(string text, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct);
        try { await _ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct); }
        finally { _sendLock.Release(); }
    }

    private async Task ReadLoop()
    {
        var buf = new byte[8192];
        var len = 0;
        var handshakeDone = false;
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                if (len == buf.Length) Array.Resize(ref buf, buf.Length * 2);
                var r = await _ws.ReceiveAsync(buf.AsMemory(len), _cts.Token);
                if (r.MessageType == WebSocketMessageType.Close) break;
                len += r.Count;
                if (!r.EndOfMessage) continue;
                var now = Stopwatch.GetTimestamp();
                var span = buf.AsSpan(0, len);
                if (handshakeDone && (span.IndexOf(TargetTask) >= 0 || MessagePackWire.On)) Interlocked.Increment(ref Track.WsMessages);
                while (span.Length > 0)
                {
                    if (handshakeDone && MessagePackWire.On)
                    {
                        HandleMessagePack(buf.AsMemory(len - span.Length, span.Length), now);
                        break;
                    }
                    var end = span.IndexOf((byte)0x1e);
                    var rec = end < 0 ? span : span[..end];
                    if (!handshakeDone)
                    {
                        handshakeDone = true;
                        if (rec.IndexOf(ErrorKey) >= 0) _handshake.TrySetException(new Exception("handshake: " + Encoding.UTF8.GetString(rec)));
                        else _handshake.TrySetResult();
                    }
                    else Handle(rec, now);
                    span = end < 0 ? default : span[(end + 1)..];
                }
                len = 0;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException) { }
        _handshake.TrySetException(new Exception("connection closed before the handshake"));
        _joined.TrySetException(new Exception("connection closed before JoinBoard completed"));
    }

    private void Handle(ReadOnlySpan<byte> rec, long now)
    {
        if (rec.IndexOf(TargetTask) >= 0)
        {
            var seq = Number(rec, SeqKey);
            var stamp = rec.IndexOf(StampKey) >= 0 ? Number(rec, StampKey) : Number(rec, DeltaStampKey);
            Track.Event(seq);
            OnTaskSeq?.Invoke(seq);
            OnTask?.Invoke(seq, stamp, now);
            _sink.Record(stamp, now);
            Interlocked.Add(ref _sink.FrameBytes, rec.Length + 1);
            Interlocked.Increment(ref _sink.Frames);
        }
        else if (rec.IndexOf(TargetHead) >= 0)
        {
            var head = Number(rec, SeqKey);
            Track.Head(head);
            OnHead?.Invoke(head);
        }
        else if (rec.IndexOf(TargetStopping) >= 0) ServerStopping(Number(rec, MoveWithinKey), rec.IndexOf(ReasonRebalancing) >= 0, now);
        else if (rec.IndexOf(TypeCompletion) >= 0)
        {
            if (rec.IndexOf(ErrorKey) >= 0) _joined.TrySetException(new Exception("JoinBoard: " + Encoding.UTF8.GetString(rec)));
            else _joined.TrySetResult();
        }
    }

    /// <summary>A <c>ServerStopping</c> invocation (either protocol) arrived at <paramref name="now"/>.</summary>
    private void ServerStopping(long moveWithinMs, bool rebalancing, long now)
    {
        var ms = (int)Math.Clamp(moveWithinMs, 0, int.MaxValue);
        TaskCompletionSource arrived;
        lock (_asks)
        {
            _asks.Add(new Ask(ms, rebalancing, now));
            arrived = _askArrived;
            _askArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        arrived.TrySetResult(); // (raised on the read loop: whoever awaits it runs elsewhere)
    }

    private static long Number(ReadOnlySpan<byte> rec, ReadOnlySpan<byte> key)
    {
        var i = rec.IndexOf(key);
        if (i < 0) return 0;
        long v = 0;
        for (var j = i + key.Length; j < rec.Length && rec[j] >= (byte)'0' && rec[j] <= (byte)'9'; j++) v = v * 10 + (rec[j] - '0');
        return v;
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        _ws.Abort();
        _ws.Dispose();
        if (_loop is not null) await _loop.ConfigureAwait(false);
    }
}

/// <summary>A full Microsoft.AspNetCore.SignalR.Client HubConnection (WebSockets, skip negotiation).</summary>
public sealed class FullClient : IReceiver
{
    public Track Track { get; } = new();
    private readonly HubConnection _conn;
    private readonly object _gate = new();

    private FullClient(HubConnection conn) => _conn = conn;

    public static async Task<FullClient> ConnectAsync(string baseUrl, string token, Guid board, Sink sink)
    {
        var conn = new HubConnectionBuilder()
            .WithUrl(baseUrl + "/hubs/board" + DeltaWire.Query(first: true), o =>
            {
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();
        var c = new FullClient(conn);
        void OnTask(JsonElement e)
        {
            var now = Stopwatch.GetTimestamp();
            lock (c._gate) c.Track.Event(e.GetProperty("seq").GetInt64());
            string? title = null;
            if (e.TryGetProperty("task", out var task)) title = task.GetProperty("title").GetString();
            else if (e.TryGetProperty("changes", out var changes)) // a delta: the title is one of its changes
                foreach (var c in changes.EnumerateArray())
                    if (c.GetProperty("field").GetString() == "title") title = c.GetProperty("to").GetString();
            if (title is not null && title.StartsWith("b|", StringComparison.Ordinal) && long.TryParse(title.AsSpan(2), out var sent)) sink.Record(sent, now);
        }
        conn.On<JsonElement>("TaskCreated", OnTask);
        conn.On<JsonElement>("TaskUpdated", OnTask);
        conn.On<JsonElement>("TaskDeleted", OnTask);
        conn.On<JsonElement>("BoardHead", e => { lock (c._gate) c.Track.Head(e.GetProperty("seq").GetInt64()); });
        conn.On<JsonElement>("PresenceChanged", _ => { });
        await conn.StartAsync();
        await conn.InvokeAsync("JoinBoard", board, (long?)null);
        return c;
    }

    public ValueTask DisposeAsync() => _conn.DisposeAsync();
}

/// <summary>Reads a replica's CPU time and memory from /proc and /metrics.</summary>
public static class Probe
{
    /// <summary>The /metrics series of the bytes a server process has allocated since it started (the runtime's
    /// System.Runtime meter in TaskHub; the bare server writes the same name).</summary>
    public const string AllocatedBytes = "system_runtime_dotnet_gc_heap_total_allocated";

    /// <summary>The fields of /proc/&lt;pid&gt;/stat after the process's name (0 = its state, 7 = minor faults, 11/12 = user/system time).</summary>
    public static string[] Stat(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    /// <summary><see cref="Stat"/>, or null when the process is gone or not readable here.</summary>
    public static string[]? StatOrNull(int pid)
    {
        try { return Stat(pid); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    public static double CpuSeconds(int pid)
    {
        var f = Stat(pid);
        return (long.Parse(f[11]) + long.Parse(f[12])) / 100.0; // utime + stime, USER_HZ = 100
    }

    /// <summary><see cref="CpuSeconds"/> of the process whose PID <paramref name="pid"/> reads (a PID file, say); NaN when
    /// it is gone or not readable here.</summary>
    public static double CpuSecondsOrNaN(Func<int> pid)
    {
        try { return CpuSeconds(pid()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return double.NaN; }
    }

    /// <summary>MariaDB's CPU seconds (its pid file, /run/mysqld/mysqld.pid); NaN when it is not readable here.</summary>
    public static double MariaDbCpuSeconds() =>
        CpuSecondsOrNaN(() => int.Parse(File.ReadAllText("/run/mysqld/mysqld.pid").Trim(), CultureInfo.InvariantCulture));

    /// <summary>Context switches the whole machine has made since boot (/proc/stat's <c>ctxt</c>): on this paravirtualised VM a
    /// switch between two processes is dear (<c>pvm_irq_enable</c> tops the profiles' kernel stacks), so a write's
    /// switches are printed beside its CPU.</summary>
    public static long MachineContextSwitches()
    {
        foreach (var line in File.ReadLines("/proc/stat"))
            if (line.StartsWith("ctxt ", StringComparison.Ordinal)) return long.Parse(line.AsSpan(5), CultureInfo.InvariantCulture);
        return 0;
    }

    /// <summary>A process's context switches so far per thread (voluntary + involuntary, /proc/&lt;pid&gt;/task/&lt;tid&gt;/status;
    /// /proc/&lt;pid&gt;/status counts only its main thread); empty when it is gone.</summary>
    public static Dictionary<int, long> ContextSwitches(int pid)
    {
        var byThread = new Dictionary<int, long>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                try
                {
                    long sum = 0;
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                            sum += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                    byThread[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = sum;
                }
                catch (IOException) { } // a thread that ended meanwhile
        }
        catch (DirectoryNotFoundException) { }
        return byThread;
    }

    /// <summary>The context switches between two <see cref="ContextSwitches"/> readings of the threads alive at the second
    /// (a thread that ended in between takes its count with it: a sum over all threads could go down).</summary>
    public static long ContextSwitchesBetween(Dictionary<int, long> before, Dictionary<int, long> after) =>
        after.Sum(t => t.Value - before.GetValueOrDefault(t.Key));

    public static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }

    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static async Task<double> GcHeapBytes(string url)
    {
        var text = await Http.GetStringAsync(url + "/metrics");
        foreach (var line in text.Split('\n'))
            if (line.StartsWith("dotnet_total_memory_bytes ")) return double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
        return double.NaN;
    }

    /// <summary>
    /// Makes the replica run a full blocking GC (an EventPipe session with the GCHeapCollect keyword, as
    /// dotnet-gcdump does), so the GC heap read right after is the live heap, not live + garbage.
    /// </summary>
    public static async Task InduceGc(int pid)
    {
        try
        {
            var client = new Microsoft.Diagnostics.NETCore.Client.DiagnosticsClient(pid);
            var providers = new[] { new Microsoft.Diagnostics.NETCore.Client.EventPipeProvider("Microsoft-Windows-DotNETRuntime",
                System.Diagnostics.Tracing.EventLevel.Informational, 0x800000 /* GCHeapCollect */ | 0x1 /* GC */) };
            using var session = client.StartEventPipeSession(providers, requestRundown: false);
            var drain = session.EventStream.CopyToAsync(Stream.Null);
            await Task.Delay(1500);
            session.Stop();
            await drain.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) { if (!_warned) { _warned = true; Console.WriteLine($"  (could not induce a GC in {pid}: {e.Message}; GC heap includes garbage)"); } }
    }
    static bool _warned;

    /// <summary>After an induced full GC in each replica: median of 3 readings 400 ms apart, summed over replicas: (gc heap, rss).</summary>
    public static async Task<(double heap, double rss)> Memory(ServerConfig c)
    {
        foreach (var p in c.Pids) await InduceGc(p);
        var heaps = new List<double>(); var rsss = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            double h = 0, r = 0;
            foreach (var u in c.Urls) h += await GcHeapBytes(u);
            foreach (var p in c.Pids) r += RssBytes(p);
            heaps.Add(h); rsss.Add(r);
            await Task.Delay(400);
        }
        heaps.Sort(); rsss.Sort();
        return (heaps[1], rsss[1]);
    }

    public static double Cpu(ServerConfig c) => c.Pids.Sum(CpuSeconds);

    /// <summary>Seconds the whole machine was busy since boot (/proc/stat: user, nice, system, irq, softirq; not idle,
    /// iowait or steal), every process together: the bench itself, MariaDB, Redis and the replicas. Unlike a process's
    /// own CPU time, it cannot count one core-second twice (at saturation here the replicas' and MariaDB's own times
    /// added up to more than the 2 cores: bench/results/20261202T1345Z-cluster-interference.txt).</summary>
    public static double MachineBusySeconds()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new[] { 1, 2, 3, 6, 7 }.Sum(i => double.Parse(f[i], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
    }
}

public sealed class Runner(ServerConfig config, Setup setup, BenchOptions opts)
{
    private readonly Sink _sink = new();
    private readonly List<IReceiver> _clients = [];
    private readonly List<int> _serverOf = []; // index into config.Urls/Pids of each client in _clients
    private int _lightCount, _fullCount;
    private double _idleCpuPerSec;
    // BENCH_NOJOIN=1: light clients only handshake (no JoinBoard): isolates the per-connection memory of the transport.
    private static readonly bool NoJoin = Environment.GetEnvironmentVariable("BENCH_NOJOIN") == "1";

    public async Task<List<PointResult>> RunAsync(int[] ns)
    {
        LightClient.Init(opts.LocalAddresses);
        await MessagePackWire.UseAsync(config);
        DeltaWire.Use(config);
        var results = new List<PointResult>();
        await Task.Delay(1000);
        var mem0 = await Probe.Memory(config);
        var idle0 = Probe.Cpu(config); var idleT = Stopwatch.GetTimestamp();
        await Task.Delay(4000);
        _idleCpuPerSec = (Probe.Cpu(config) - idle0) / Stopwatch.GetElapsedTime(idleT).TotalSeconds;
        Console.WriteLine($"idle CPU of the replicas: {_idleCpuPerSec * 1000:0} ms/s (subtracted from CPU per delivery; the raw figure, nothing subtracted, is printed beside it)");
        Console.WriteLine($"idle: GC heap {mem0.heap / 1048576:0.0} MB, RSS {mem0.rss / 1048576:0.0} MB (sum over replicas)");
        try
        {
            foreach (var n in ns)
            {
                var connectTrace = Profile.Start(config, n, Points.EnvDouble("BENCH_TRACE_CONNECT_SECONDS", 8) + 2, "connect");
                if (connectTrace is not null) await Task.Delay(1500); // the profiler attaches
                var sw = Stopwatch.StartNew();
                var overflows0 = Points.ListenOverflows();
                await ConnectUpTo(n);
                var connectS = sw.Elapsed.TotalSeconds;
                var drops = Points.ListenDropsSince(overflows0);
                if (connectTrace is not null) { await connectTrace.WaitForExitAsync(); connectTrace.Dispose(); }
                await Task.Delay(2000);
                var mem = await Probe.Memory(config);
                var heapPer = (mem.heap - mem0.heap) / n / 1024;
                var rssPer = (mem.rss - mem0.rss) / n / 1024;
                Console.WriteLine($"N={n}: {_lightCount} light + {_fullCount} full clients connected ({connectS:0.0} s to add, {drops}); " +
                                  $"per idle connection: GC heap {heapPer:0.0} KB, RSS {rssPer:0.0} KB");
                // Unrecorded warm-up: 10 s at the first point (tiered JIT of the freshly started replicas, pools), 2 s later.
                await Phase(n, 0, warmUp: true, warmUpSeconds: n == ns[0] ? 10 : 2);
                for (var rep = 1; rep <= opts.Reps; rep++)
                {
                    var framing0 = await Points.FramingAsync(config.IsBare() ? [] : config.Urls);
                    var lock0 = config.IsBare() ? null : await BoardLock.ScrapeAsync(config.Urls);
                    var r = await Phase(n, rep);
                    var framing1 = await Points.FramingAsync(config.IsBare() ? [] : config.Urls);
                    var boardLock = config.IsBare() ? null : BoardLock.Between(lock0, await BoardLock.ScrapeAsync(config.Urls));
                    double catchUp;
                    if (config.IsBare()) catchUp = double.NaN; // no event log to catch up from
                    else try { catchUp = await CatchUp(); }
                    catch (Exception e) { Console.WriteLine($"  catch-up failed: {e.Message}"); catchUp = double.NaN; }
                    r = r with { HeapKbPerConn = heapPer, RssKbPerConn = rssPer, CatchUpMs = catchUp };
                    Console.WriteLine($"  rep {rep}: p50 {r.P50:0.0} ms, p99 {r.P99:0.0} ms, p99.9 {r.P999:0.0} ms, {r.DeliveriesPerSec:0} deliveries/s, " +
                                      $"{r.CpuUsPerDelivery:0.0} µs CPU/delivery ({r.RawCpuUsPerDelivery:0.0} raw), REST write p50 {r.WriteP50:0.0} / p99 {r.WriteP99:0.0} ms, catch-up {catchUp:0} ms, lost {r.Lost}, out-of-order {r.OutOfOrder} " +
                                      $"({r.Writes} writes, {r.Deliveries} deliveries)" +
                                      (config.IsBare() ? "" : $"; the replicas' board lines sent {Points.EventsPerFrame(framing0, framing1):0.00} events per frame") +
                                      (boardLock is null ? "" : $"; {boardLock}"));
                    results.Add(r);
                }
            }
        }
        finally
        {
            var sw = Stopwatch.StartNew();
            await Parallel.ForEachAsync(_clients, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (c, _) =>
            {
                try { await c.DisposeAsync(); } catch { }
            });
            _clients.Clear();
            _serverOf.Clear();
            Console.WriteLine($"average task event frame: {(double)_sink.FrameBytes / Math.Max(1, _sink.Frames):0} bytes ({(MessagePackWire.On ? "MessagePack" : "JSON")} protocol)");
            MessagePackWire.PrintBatching();
            Console.WriteLine($"disconnected all clients in {sw.Elapsed.TotalSeconds:0.0} s");
        }
        return results;
    }

    private string UrlFor(int i) => config.Urls[i % config.Urls.Length];
    private string TokenFor(int i) => setup.Tokens[i % setup.Tokens.Length];

    private async Task ConnectUpTo(int n)
    {
        var fullTarget = Math.Min(opts.FullClients, n / 4);
        var start = _clients.Count;
        var failures = 0;
        // Full clients first (few), then light ones, 64 connects in flight.
        while (_fullCount < fullTarget && _clients.Count < n)
        {
            var i = _clients.Count;
            _clients.Add(await FullClient.ConnectAsync(UrlFor(i), TokenFor(i), setup.Board, _sink));
            _serverOf.Add(i % config.Urls.Length);
            _fullCount++;
        }
        var toAdd = n - _clients.Count;
        var added = new IReceiver?[toAdd];
        var baseIndex = _clients.Count;
        await Parallel.ForAsync(0, toAdd, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (k, _) =>
        {
            var i = baseIndex + k;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                try
                {
                    added[k] = NoJoin
                        ? await LightClient.OpenAsync(UrlFor(i), TokenFor(i), _sink, null)
                        : await LightClient.ConnectAsync(UrlFor(i), TokenFor(i), setup.Board, null, _sink);
                    return;
                }
                catch (Exception e)
                {
                    if (Interlocked.Increment(ref failures) <= 3) Console.WriteLine($"  connect failed ({e.GetType().Name}: {e.Message}); retrying");
                    await Task.Delay(500);
                }
            }
        });
        for (var k = 0; k < toAdd; k++)
            if (added[k] is { } c) { _clients.Add(c); _serverOf.Add((baseIndex + k) % config.Urls.Length); _lightCount++; }
        if (_clients.Count < n) Console.WriteLine($"  WARNING: only {_clients.Count} of {n} clients connected");
        // Wait until every client has its BoardHead (initial seq) so order checks start from a known point.
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!NoJoin && _clients.Any(c => c.Track.LastSeq < 0) && DateTime.UtcNow < until) await Task.Delay(100);
    }

    private async Task<PointResult> Phase(int n, int rep, bool warmUp = false, double warmUpSeconds = 2)
    {
        var writes = (int)Math.Round((warmUp ? warmUpSeconds : opts.Seconds) * opts.Rate);
        _sink.Reset(writes * n + 1000);
        var startHead = _clients.Max(c => Volatile.Read(ref c.Track.LastSeq));
        var before = _clients.Select(c => (c.Track.Received, c.Track.OutOfOrder, c.Track.WsMessages)).ToArray();
        var alloc0 = await Task.WhenAll(config.Urls.Select(u => Points.MetricAsync(u, Probe.AllocatedBytes))); // (its scrape before the CPU's window)
        var cpu0 = Probe.Cpu(config);
        var cpuByPid0 = config.Pids.Select(Probe.CpuSeconds).ToArray();
        var self0 = Process.GetCurrentProcess().TotalProcessorTime;
        _sink.Recording = !warmUp;
        var t0 = Stopwatch.GetTimestamp();
        using var trace = !warmUp && rep == opts.Reps ? Profile.Start(config, n, opts.Seconds) : null;

        // Writes through REST at a steady rate, round-robin over the replicas; each write is fire-and-forget on its
        // own tick so a slow response never delays the next one.
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { Timeout = TimeSpan.FromSeconds(30) };
        var ok = 0; var failed = 0;
        var writeMs = new System.Collections.Concurrent.ConcurrentBag<double>();
        var inflight = new List<Task>();
        var interval = Stopwatch.Frequency / opts.Rate;
        for (var w = 0; w < writes; w++)
        {
            var due = t0 + (long)(w * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                var ms = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (ms > 2) await Task.Delay((int)ms - 1); else Thread.SpinWait(50);
            }
            var url = UrlFor(w);
            inflight.Add(Task.Run(async () =>
            {
                var stamp = Stopwatch.GetTimestamp();
                using var req = DeltaWire.Write(url, setup, w, stamp, config.IsBare());
                req.Headers.Authorization = new("Bearer", setup.WriterToken);
                try
                {
                    using var r = await http.SendAsync(req);
                    writeMs.Add(Stopwatch.GetElapsedTime(stamp).TotalMilliseconds);
                    if (r.IsSuccessStatusCode) Interlocked.Increment(ref ok); else Interlocked.Increment(ref failed);
                }
                catch { Interlocked.Increment(ref failed); }
            }));
        }
        await Task.WhenAll(inflight);
        var writeSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var expectedHead = startHead + ok;
        // Drain: wait until every client reached the head (or 15 s).
        var until = DateTime.UtcNow.AddSeconds(15);
        bool Behind()
        {
            for (var i = 0; i < _clients.Count; i++)
            {
                var t = _clients[i].Track;
                if (Volatile.Read(ref t.LastSeq) < expectedHead || Volatile.Read(ref t.Received) - before[i].Received < ok) return true;
            }
            return false;
        }
        while (Behind() && DateTime.UtcNow < until) await Task.Delay(50);
        if (trace is not null)
            try { await trace.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90)); }
            catch (TimeoutException) { Console.WriteLine("  the profiler did not finish within 90 s"); }
        var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        _sink.Recording = false;
        var cpu1 = Probe.Cpu(config);
        var cpuByPid1 = config.Pids.Select(Probe.CpuSeconds).ToArray();
        var alloc1 = await Task.WhenAll(config.Urls.Select(u => Points.MetricAsync(u, Probe.AllocatedBytes)));
        var selfCpu = (Process.GetCurrentProcess().TotalProcessorTime - self0).TotalSeconds;
        if (!warmUp) Console.WriteLine($"  (server CPU {(cpu1 - cpu0) / elapsed * 100:0}% of one core, bench process {selfCpu / elapsed * 100:0}%, over {elapsed:0.0} s)");

        long lost = 0, ooo = 0;
        for (var i = 0; i < _clients.Count; i++)
        {
            var t = _clients[i].Track;
            lost += Math.Max(0, ok - (t.Received - before[i].Received));
            ooo += t.OutOfOrder - before[i].OutOfOrder;
        }
        if (failed > 0) Console.WriteLine($"  {failed} writes failed");
        // Each server process's own CPU ÷ the task events its own clients received (a same-rep A/B when the cluster's
        // replicas run with different settings: CLUSTER_REPLICA_ENV_<i>).
        double[]? byPid = null;
        if (config.Pids.Length == config.Urls.Length)
        {
            var received = new long[config.Pids.Length];
            var messages = new long[config.Pids.Length];
            var lightReceived = new long[config.Pids.Length];
            for (var i = 0; i < _clients.Count; i++)
            {
                received[_serverOf[i]] += _clients[i].Track.Received - before[i].Received;
                if (_clients[i] is not LightClient) continue;
                messages[_serverOf[i]] += _clients[i].Track.WsMessages - before[i].WsMessages;
                lightReceived[_serverOf[i]] += _clients[i].Track.Received - before[i].Received;
            }
            byPid = config.Pids.Select((_, k) => (cpuByPid1[k] - cpuByPid0[k]) * 1e6 / Math.Max(1, received[k])).ToArray();
            if (byPid.Length == 1) byPid = null; // (printed; the per-replica table is for configurations of several)
            // Events per WebSocket message: a backed-up connection gets several queued events in one send, which costs less
            // per event; a variant that keeps up better sends more messages — read the two figures together.
            // Bytes the server process allocated per delivery (its GC's total allocated, from /metrics): what its GC has to clear and collect.
            if (!warmUp) Console.WriteLine($"  raw CPU µs/delivery per server process: {string.Join(", ", config.Pids.Select((_, k) => (cpuByPid1[k] - cpuByPid0[k]) * 1e6 / Math.Max(1, received[k])).Select((v, k) => $"{config.Urls[k]} {v:0.0} ({(double)lightReceived[k] / Math.Max(1, messages[k]):0.00} events per WebSocket message, {(double.IsNaN(alloc1[k] - alloc0[k]) ? "–" : $"{(alloc1[k] - alloc0[k]) / Math.Max(1, received[k]):0}")} bytes allocated per delivery)"))}");
        }
        var (p50, p99, p999, count) = _sink.Percentiles();
        var deliveries = Interlocked.Read(ref _sink.Deliveries);
        return new PointResult(config.Name, n, rep, p50, p99, p999, deliveries / Math.Max(writeSeconds, elapsed - 0.0),
            Math.Max(0, cpu1 - cpu0 - _idleCpuPerSec * elapsed) * 1e6 / Math.Max(1, deliveries), 0, 0, 0, lost, ooo, deliveries, ok,
            Pct(writeMs, 0.5), Pct(writeMs, 0.99), (cpu1 - cpu0) * 1e6 / Math.Max(1, deliveries), byPid);
    }

    static double Pct(IEnumerable<double> xs, double q)
    {
        var a = xs.OrderBy(x => x).ToArray();
        return a.Length == 0 ? double.NaN : a[Math.Min(a.Length - 1, (int)Math.Ceiling(q * a.Length) - 1)];
    }

    /// <summary>A new light client (handshake done) joins the catch-up board with afterSeq = head − 1000: ms until 1,000 events arrived.</summary>
    private async Task<double> CatchUp()
    {
        var events = opts.CatchUpEvents;
        var head = (long)events + 10; // the seeded board's head: nothing else writes to it
        var got = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var c = await LightClient.OpenAsync(UrlFor(Random.Shared.Next(config.Urls.Length)), TokenFor(0), new Sink(),
            _ => { if (Interlocked.Increment(ref got) == events) done.TrySetResult(); });
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var t0 = Stopwatch.GetTimestamp();
            await c.JoinAsync(setup.CatchUpBoard, head - events, cts.Token, wait: false);
            await done.Task.WaitAsync(cts.Token);
            return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        catch (OperationCanceledException) { Console.WriteLine($"  catch-up: only {got} of {events} events in 30 s"); return double.NaN; }
        finally { await c.DisposeAsync(); }
    }
}

public static class Report
{
    /// <summary>Per server process of a configuration (the cluster's replicas): medians over reps of each one's raw CPU per
    /// delivery and of the per-rep ratio of each to the first (BENCH_REPLICA_LABELS names each replica's extra settings).</summary>
    static void PrintPerProcess(List<PointResult> all, List<ServerConfig> configs, int[] ns)
    {
        var labels = (Environment.GetEnvironmentVariable("BENCH_REPLICA_LABELS") ?? "").Split('|');
        foreach (var c in configs)
            foreach (var n in ns)
            {
                var rs = all.Where(r => r.Config == c.Name && r.N == n && r.RawCpuUsPerDeliveryByPid is { Length: > 1 }).ToList();
                if (rs.Count == 0) continue;
                var k = rs[0].RawCpuUsPerDeliveryByPid!.Length;
                string Name(int i) => $"replica {i + 1}{(i < labels.Length && labels[i].Length > 0 ? $" [{labels[i]}]" : " [defaults]")}";
                Console.WriteLine();
                Console.WriteLine($"=== {c.Name}, N={n:N0}: raw CPU µs/delivery per replica (same reps), medians of {rs.Count}");
                for (var i = 0; i < k; i++)
                    Console.WriteLine($"  {Name(i)}: {Median(rs.Select(r => r.RawCpuUsPerDeliveryByPid![i])):0.0} (reps: {string.Join(", ", rs.Select(r => r.RawCpuUsPerDeliveryByPid![i].ToString("0.0", CultureInfo.InvariantCulture)))})");
                for (var i = 1; i < k; i++)
                    Console.WriteLine($"  {Name(i)} ÷ {Name(0)}: {Median(rs.Select(r => r.RawCpuUsPerDeliveryByPid![i] / r.RawCpuUsPerDeliveryByPid![0])):0.00}× " +
                                      $"(reps: {string.Join(", ", rs.Select(r => (r.RawCpuUsPerDeliveryByPid![i] / r.RawCpuUsPerDeliveryByPid![0]).ToString("0.00", CultureInfo.InvariantCulture)))})");
            }
    }

    static double Median(IEnumerable<double> xs)
    {
        var a = xs.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
        return a.Length == 0 ? double.NaN : a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    public static void Print(List<PointResult> all, List<ServerConfig> configs, int[] ns)
    {
        Console.WriteLine();
        Console.WriteLine("=== Medians over reps");
        Console.WriteLine("| setup | N | p50 ms | p99 ms | p99.9 ms | deliveries/s | CPU µs/delivery (raw) | GC heap KB/conn | RSS KB/conn | catch-up 1,000 ms | lost | out-of-order | REST write p50/p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var med = new Dictionary<(string, int), double[]>();
        foreach (var c in configs)
            foreach (var n in ns)
            {
                var rs = all.Where(r => r.Config == c.Name && r.N == n).ToList();
                if (rs.Count == 0) continue;
                var m = new[]
                {
                    Median(rs.Select(r => r.P50)), Median(rs.Select(r => r.P99)), Median(rs.Select(r => r.P999)),
                    Median(rs.Select(r => r.DeliveriesPerSec)), Median(rs.Select(r => r.CpuUsPerDelivery)),
                    Median(rs.Select(r => r.HeapKbPerConn)), Median(rs.Select(r => r.RssKbPerConn)), Median(rs.Select(r => r.CatchUpMs)),
                };
                med[(c.Name, n)] = m;
                Console.WriteLine($"| {c.Name} | {n:N0} | {m[0]:0.0} | {m[1]:0.0} | {m[2]:0.0} | {m[3]:N0} | {m[4]:0.0} ({Median(rs.Select(r => r.RawCpuUsPerDelivery)):0.0}) | {m[5]:0.0} | {m[6]:0.0} | {m[7]:0} | {rs.Sum(r => r.Lost)} | {rs.Sum(r => r.OutOfOrder)} | {Median(rs.Select(r => r.WriteP50)):0.0} / {Median(rs.Select(r => r.WriteP99)):0.0} |");
            }
        var bare = configs.FirstOrDefault(c => c.IsBare());
        if (bare is not null)
        {
            Console.WriteLine();
            Console.WriteLine($"=== Ratios to {bare.Name} (the same-run floor; >1 = TaskHub is worse, except deliveries/s)");
            Console.WriteLine("| setup | N | p50 | p99 | p99.9 | deliveries/s | CPU µs/delivery | GC heap/conn | RSS/conn |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var c in configs.Where(c => !c.IsBare()))
                foreach (var n in ns)
                {
                    if (!med.TryGetValue((c.Name, n), out var a) || !med.TryGetValue((bare.Name, n), out var b)) continue;
                    var raw = all.Where(r => r.N == n && r.Config == c.Name).Select(r => r.RawCpuUsPerDelivery);
                    var bareRaw = all.Where(r => r.N == n && r.Config == bare.Name).Select(r => r.RawCpuUsPerDelivery);
                    Console.WriteLine($"| {c.Name} | {n:N0} | {string.Join(" | ", a.Take(4).Zip(b, (x, y) => $"{x / y:0.00}×"))} | {Median(raw) / Median(bareRaw):0.00}× (raw) | {a[5] / b[5]:0.00}× | {a[6] / b[6]:0.00}× |");
                }
        }
        PrintPerProcess(all, configs, ns);
        var bares = configs.Where(c => c.IsBare()).ToList();
        if (bares.Count == 2)
        {
            Console.WriteLine();
            Console.WriteLine($"=== {bares[1].Name} ÷ {bares[0].Name} (medians; raw CPU per delivery)");
            foreach (var n in ns)
            {
                double Raw(ServerConfig c) => Median(all.Where(r => r.N == n && r.Config == c.Name).Select(r => r.RawCpuUsPerDelivery));
                if (!med.ContainsKey((bares[0].Name, n)) || !med.ContainsKey((bares[1].Name, n))) continue;
                Console.WriteLine($"  N={n:N0}: raw CPU µs/delivery {Raw(bares[0]):0.0} → {Raw(bares[1]):0.0} ({Raw(bares[1]) / Raw(bares[0]):0.00}×), " +
                                  $"p50 {med[(bares[0].Name, n)][0]:0.0} → {med[(bares[1].Name, n)][0]:0.0} ms, p99 {med[(bares[0].Name, n)][1]:0.0} → {med[(bares[1].Name, n)][1]:0.0} ms");
            }
        }
        configs = configs.Where(c => !c.IsBare()).ToList();
        if (configs.Count == 2)
        {
            Console.WriteLine();
            Console.WriteLine($"=== Ratios {configs[0].Name} / {configs[1].Name} (what Redis costs; >1 = the cluster is worse, except deliveries/s)");
            Console.WriteLine("| N | p50 | p99 | p99.9 | deliveries/s | CPU µs/delivery | GC heap/conn | RSS/conn | catch-up |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var n in ns)
            {
                if (!med.TryGetValue((configs[0].Name, n), out var a) || !med.TryGetValue((configs[1].Name, n), out var b)) continue;
                Console.WriteLine($"| {n:N0} | {string.Join(" | ", a.Zip(b, (x, y) => $"{x / y:0.00}×"))} |");
            }
        }
        Console.WriteLine();
        Console.WriteLine("=== Targets (cluster; issue 16): p99 ≤ 30 ms at 1,000 and ≤ 150 ms at 5,000; GC heap ≤ 24 KB/idle connection; ≤ 12 µs raw CPU/delivery; catch-up ≤ 200 ms; 0 lost/out-of-order");
        var cl = configs[0].Name.StartsWith("cluster") ? configs[0].Name : configs.Count > 1 ? configs[1].Name : configs[0].Name;
        void T(string what, double v, double target, string unit)
            => Console.WriteLine($"  {what}: {v:0.0} {unit} vs ≤ {target} {unit}: {(v <= target ? "MET" : $"MISSED by {v - target:0.0} {unit} ({v / target:0.0}× the target)")}");
        string VsBare(int n, int i) => bare is not null && med.TryGetValue((bare.Name, n), out var b) ? $"    (bare SignalR {b[i]:0.0}; ratio {med[(cl, n)][i] / b[i]:0.00}×)" : "";
        if (med.TryGetValue((cl, 1000), out var m1)) { T("p99 at 1,000", m1[1], 30, "ms"); Console.WriteLine(VsBare(1000, 1)); }
        if (med.TryGetValue((cl, 5000), out var m5))
        {
            T("p99 at 5,000", m5[1], 150, "ms"); Console.WriteLine(VsBare(5000, 1));
            T("raw CPU per delivery at 5,000", Median(all.Where(r => r.Config == cl && r.N == 5000).Select(r => r.RawCpuUsPerDelivery)), 12, "µs");
        }
        var largest = ns.Where(n => med.ContainsKey((cl, n))).DefaultIfEmpty(0).Max();
        if (largest > 0)
        {
            T($"GC heap per idle connection (N={largest}; /metrics, which counts garbage not yet collected and pooled send buffers: the exact walk of live objects is bench/mem.sh)", med[(cl, largest)][5], 24, "KB"); Console.WriteLine(VsBare(largest, 5));
            T($"catch-up of 1,000 events (median over all points)", Median(all.Where(r => r.Config == cl).Select(r => r.CatchUpMs)), 200, "ms");
        }
        Console.WriteLine($"  lost: {all.Where(r => r.Config == cl).Sum(r => r.Lost)}, out-of-order: {all.Where(r => r.Config == cl).Sum(r => r.OutOfOrder)} (target 0)");
    }
}
