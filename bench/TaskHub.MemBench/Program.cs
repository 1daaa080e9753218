// Memory per idle hub connection: one replica (already running), N light WebSocket clients that complete the
// SignalR JSON handshake (and optionally JoinBoard), a dotnet-gcdump heap snapshot before and after connecting,
// and the GC heap (/metrics dotnet_total_memory_bytes, read right after the snapshot's induced full GC).
// See bench/mem.sh and bench/README.md ("Memory per connection").
//   dotnet TaskHub.MemBench.dll <url> <pid> <n> <join:0|1> <out prefix> <gcdump path>   (MEM_DUMP=1: also a heap dump)
//   dotnet TaskHub.MemBench.dll diff <dump 0> <dump N> <N> [rows]                       (live heap by type, ClrMD)
//   dotnet TaskHub.MemBench.dll strings <dump> [rows]                                    (strings by holder and length)
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

if (args[0] == "paths") { HeapWalk.Paths(args[1], args[2], args.Length > 3 ? int.Parse(args[3]) : 8); return 0; }
if (args[0] == "strings") { HeapWalk.Strings(args[1], args.Length > 2 ? int.Parse(args[2]) : 30); return 0; }
if (args[0] == "diff") { HeapWalk.Diff(args[1], args[2], int.Parse(args[3]), args.Length > 4 ? int.Parse(args[4]) : 60); return 0; }
var url = args[0]; var pid = int.Parse(args[1]); var n = int.Parse(args[2]); var join = args[3] == "1";
var prefix = args[4]; var gcdump = args[5];

using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
var run = DateTime.UtcNow.ToString("yyyyMMddHHmmss") + Random.Shared.Next(1000, 9999);
const string password = "Bench-Passw0rd!";
var email = $"mem-{run}@bench.example";
(await http.PostAsJsonAsync("/api/auth/register", new { email, password, displayName = "mem" })).EnsureSuccessStatusCode();
var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password });
login.EnsureSuccessStatusCode();
var tokens = await login.Content.ReadFromJsonAsync<JsonElement>();
var token = tokens.GetProperty("accessToken").GetString()!;
// The hub's URL carries what the browser sends: the short hub token when the server issues one (MEM_HUB_TOKEN=0: the JWT).
var hubToken = Environment.GetEnvironmentVariable("MEM_HUB_TOKEN") != "0" && tokens.TryGetProperty("hubToken", out var h) ? h.GetString()! : token;
using var req = new HttpRequestMessage(HttpMethod.Post, "/api/boards") { Content = JsonContent.Create(new { name = "mem " + run }) };
req.Headers.Authorization = new("Bearer", token);
var br = await http.SendAsync(req); br.EnsureSuccessStatusCode();
var board = (await br.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

// Warm-up: a few connections that join and leave, so JIT/lazy singletons are not counted per connection.
var warm = new List<ClientWebSocket>();
for (var i = 0; i < 20; i++) warm.Add(await Open(true));
foreach (var w in warm) { try { await w.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); } catch { } w.Dispose(); }
await Task.Delay(2000);

async Task<double> Snapshot(string name)
{
    // The snapshot's EventPipe session induces a full blocking GC; the dump right after holds the live heap
    // (HeapWalk counts only what is reachable anyway).
    var p = Process.Start(new ProcessStartInfo(gcdump, $"collect -p {pid} -o {prefix}-{name}.gcdump") { RedirectStandardOutput = true })!;
    await p.StandardOutput.ReadToEndAsync();
    await p.WaitForExitAsync();
    if (Environment.GetEnvironmentVariable("MEM_DUMP") == "1") HeapWalk.Dump(pid, $"{prefix}-{name}.dmp");
    var text = await http.GetStringAsync("/metrics");
    foreach (var line in text.Split('\n'))
        if (line.StartsWith("dotnet_total_memory_bytes ")) return double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
    return double.NaN;
}

var before = await Snapshot("0");
var clients = new ClientWebSocket[n];
var sw = Stopwatch.StartNew();
var next = -1;
await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < n) clients[i] = await Open(join);
}));
Console.Error.WriteLine($"connected {n} (join={join}) in {sw.Elapsed.TotalSeconds:0.0} s");
await Task.Delay(2000);
var after = await Snapshot(n.ToString(CultureInfo.InvariantCulture));
Console.WriteLine($"gc heap before {before / 1024:0} KB, after {after / 1024:0} KB, per connection {(after - before) / n / 1024:0.00} KB");
foreach (var c in clients) c.Abort();
return 0;

async Task<ClientWebSocket> Open(bool doJoin)
{
    var ws = new ClientWebSocket();
    ws.Options.KeepAliveInterval = TimeSpan.Zero;
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
    await ws.ConnectAsync(new Uri(url.Replace("http://", "ws://") + "/hubs/board?access_token=" + Uri.EscapeDataString(hubToken)), timeout.Token);
    await Send(ws, "{\"protocol\":\"json\",\"version\":1}\u001e", timeout.Token);
    await ReadUntil(ws, "{}\u001e", timeout.Token);
    if (doJoin)
    {
        await Send(ws, $"{{\"type\":1,\"invocationId\":\"1\",\"target\":\"JoinBoard\",\"arguments\":[\"{board}\",null]}}\u001e", timeout.Token);
        await ReadUntil(ws, "\"type\":3", timeout.Token);
    }
    return ws;
}

static Task Send(ClientWebSocket ws, string text, CancellationToken ct) =>
    ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);

static async Task ReadUntil(ClientWebSocket ws, string marker, CancellationToken ct)
{
    var buf = new byte[16 * 1024]; var sb = new StringBuilder();
    while (true)
    {
        var r = await ws.ReceiveAsync(buf, ct);
        if (r.MessageType == WebSocketMessageType.Close) throw new Exception("closed: " + ws.CloseStatusDescription);
        sb.Append(Encoding.UTF8.GetString(buf, 0, r.Count));
        var s = sb.ToString();
        if (s.Contains("\"error\"")) throw new Exception(s);
        if (s.Contains(marker)) return;
    }
}
